//go:build cgo

package run

// ecrecoverPerGas: go-ethereum's ecrecover through libsecp256k1 (cgo),
// 77 us per 3000-gas call on the development machine (25.5 per gas),
// scaled by the fit to the mainnet blocks (see DefaultCostModel): the
// call around it costs too.
const ecrecoverPerGas = 32.3
