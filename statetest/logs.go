package statetest

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"
	"github.com/velarium/velarium/chain"
)

type rlpLog struct {
	Address common.Address
	Topics  []common.Hash
	Data    []byte
}

// LogsHash returns keccak256 of the RLP list of logs, each encoded as
// [address, [topics...], data]: the "logs" hash of state test fixtures.
// An empty (or nil) list hashes to keccak256(0xc0).
func LogsHash(logs []chain.Log) common.Hash {
	l := make([]rlpLog, len(logs))
	for i, lg := range logs {
		l[i] = rlpLog{lg.Address, lg.Topics, lg.Data}
	}
	enc, err := rlp.EncodeToBytes(l)
	if err != nil {
		panic("statetest: encoding logs: " + err.Error()) // cannot happen for these types
	}
	return crypto.Keccak256Hash(enc)
}
