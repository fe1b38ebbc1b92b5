package main

import (
	"fmt"
	"os"

	"github.com/velarium/velarium/bench"
)

func main() {
	root, err := bench.FixturesRoot()
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	cs, err := bench.LoadCases(root, []string{bench.SuiteEVMBenchmarks, bench.SuiteEvmoneLegacy, bench.SuitePevmContracts})
	if err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	for _, c := range cs {
		v := bench.NewVelaRunner(c)
		g, err := bench.NewGethRunner(c)
		if err != nil {
			fmt.Println(c.ID(), err)
			continue
		}
		o, err := bench.Verify(c, v, g)
		if err != nil {
			fmt.Println(c.ID(), "FAIL", err)
			continue
		}
		fmt.Println(c.ID(), "ok gas", o.GasUsed, "status", o.Status, "out", len(o.Output))
	}
}
