//go:build !cgo

package run

// ecrecoverPerGas: go-ethereum's pure-Go ecrecover (CGO_ENABLED=0, as CI
// builds), 287 us per 3000-gas call on the development machine (95.6 per
// gas), scaled by the fit to the mainnet blocks (see DefaultCostModel).
const ecrecoverPerGas = 106
