package statetest

import (
	"encoding/hex"
	"io"
	"strconv"

	"github.com/velarium/velarium/evm"
)

// JSONTracer is an evm.Tracer that writes EIP-3155 JSON lines: one per
// opcode ({"pc","op","gas","gasCost","memSize","stack","depth","refund",
// "opName"}, gas values as 0x-hex strings, stack bottom first) and a final
// {"output","gasUsed","error"} line, in go-ethereum's format. Write errors
// are ignored.
type JSONTracer struct {
	w   io.Writer
	buf []byte
}

var _ evm.Tracer = (*JSONTracer)(nil)

// NewJSONTracer returns a tracer writing to w.
func NewJSONTracer(w io.Writer) *JSONTracer { return &JSONTracer{w: w} }

func appendHex64(b []byte, v uint64) []byte {
	b = append(b, '"', '0', 'x')
	b = strconv.AppendUint(b, v, 16)
	return append(b, '"')
}

// OnOp implements evm.Tracer.
func (t *JSONTracer) OnOp(c *evm.OpContext) {
	b := t.buf[:0]
	b = append(b, `{"pc":`...)
	b = strconv.AppendUint(b, c.PC, 10)
	b = append(b, `,"op":`...)
	b = strconv.AppendUint(b, uint64(c.Op), 10)
	b = append(b, `,"gas":`...)
	b = appendHex64(b, c.Gas)
	b = append(b, `,"gasCost":`...)
	b = appendHex64(b, c.Cost)
	b = append(b, `,"memSize":`...)
	b = strconv.AppendInt(b, int64(c.MemSize), 10)
	b = append(b, `,"stack":[`...)
	for i := range c.Stack {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, c.Stack[i].Hex()...)
		b = append(b, '"')
	}
	b = append(b, `],"depth":`...)
	b = strconv.AppendInt(b, int64(c.Depth), 10)
	b = append(b, `,"refund":`...)
	b = strconv.AppendUint(b, c.Refund, 10)
	b = append(b, `,"opName":`...)
	b = strconv.AppendQuote(b, opNames[c.Op])
	b = append(b, "}\n"...)
	t.buf = b
	t.w.Write(b) //nolint:errcheck // tracing is best effort
}

// OnEnd implements evm.Tracer.
func (t *JSONTracer) OnEnd(output []byte, gasUsed uint64, err error) {
	b := t.buf[:0]
	b = append(b, `{"output":"`...)
	b = hex.AppendEncode(b, output)
	b = append(b, `","gasUsed":`...)
	b = appendHex64(b, gasUsed)
	if err != nil {
		b = append(b, `,"error":`...)
		b = strconv.AppendQuote(b, err.Error())
	}
	b = append(b, "}\n"...)
	t.buf = b
	t.w.Write(b) //nolint:errcheck // tracing is best effort
}

// WriteStateRoot writes the {"stateRoot":"0x..."} line that go-ethereum's
// `evm statetest --trace` prints after each entry.
func WriteStateRoot(w io.Writer, root [32]byte) {
	b := append([]byte(`{"stateRoot":"0x`), hex.EncodeToString(root[:])...)
	b = append(b, "\"}\n"...)
	w.Write(b) //nolint:errcheck // tracing is best effort
}
