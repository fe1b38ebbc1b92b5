package demo

import (
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/velarium/velarium/run"
)

var (
	benchSize     = flag.Int("demo.size", DefaultSize, "transactions per block in BenchmarkDemo")
	benchWorkload = flag.String("demo.workload", "erc20", "workloads of BenchmarkDemo (comma-separated: erc20,mint,amm,eth,chain, or all)")
)

// BenchmarkDemo measures one block of a workload (default erc20,
// -demo.size transactions, default DefaultSize) serially and on 2 worker goroutines, side by
// side:
//
//	go test ./demo -run '^$' -bench Demo -benchtime 20x
//
// The 2-worker speedup is serial ns/op divided by parallel/2w ns/op (also
// reported as the tx/s metric). The first parallel result is checked
// against the serial one. parallel/1w runs the multi-version path on one
// worker (its overhead over serial); serial-copies/2w runs two serial
// executions at once on two goroutines, sharing nothing: 2 × serial ns/op
// divided by its ns/op is this machine's ceiling for 2 workers.
func BenchmarkDemo(b *testing.B) {
	var wls []Workload
	if *benchWorkload == "all" {
		wls = All()
	} else {
		for _, name := range strings.Split(*benchWorkload, ",") {
			w, err := Lookup(name)
			if err != nil {
				b.Fatal(err)
			}
			wls = append(wls, w)
		}
	}
	for _, w := range wls {
		blk, rules, want, wantDiff := serialBlock(b, w, *benchSize, 1)
		name := func(s string) string {
			if len(wls) == 1 {
				return s
			}
			return w.Name + "/" + s
		}
		b.Run(name("serial"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := run.Serial(rules, blk.Env, blk.Txs, blk.Pre); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(blk.Txs))*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
		b.Run(name("serial-copies/2w"), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var wg sync.WaitGroup
				for range 2 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, _, err := run.Serial(rules, blk.Env, blk.Txs, blk.Pre); err != nil {
							b.Error(err)
						}
					}()
				}
				wg.Wait()
			}
			b.ReportMetric(2*float64(len(blk.Txs))*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
		for _, workers := range []int{1, 2} {
			b.Run(name(fmt.Sprintf("parallel/%dw", workers)), func(b *testing.B) {
				b.ReportAllocs()
				opt := run.DefaultOptions(workers)
				opt.Force = true
				var st run.Stats
				res, diff, err := run.Parallel(rules, blk.Env, blk.Txs, blk.Pre, opt, &st)
				if err != nil {
					b.Fatal(err)
				}
				if err := Compare(want, res, wantDiff, diff); err != nil {
					b.Fatalf("parallel differs from serial: %v", err)
				}
				for b.Loop() {
					if _, _, err := run.Parallel(rules, blk.Env, blk.Txs, blk.Pre, opt, &st); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(blk.Txs))*float64(b.N)/b.Elapsed().Seconds(), "tx/s")
				b.ReportMetric(float64(st.Reexecutions), "reexec/op")
			})
		}
	}
}
