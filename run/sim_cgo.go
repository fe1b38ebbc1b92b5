//go:build cgo

package run

// ecrecoverPerGas: go-ethereum's ecrecover through libsecp256k1 (cgo),
// 77 us per 3000-gas call on the development machine.
const ecrecoverPerGas = 25.5
