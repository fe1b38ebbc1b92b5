module github.com/velarium/velarium/bench

go 1.26.8

require (
	github.com/ethereum/go-ethereum v1.17.10
	github.com/velarium/velarium v0.0.0-00010101000000-000000000000
)

replace github.com/velarium/velarium => ../
