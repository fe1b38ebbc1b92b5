// Package chain processes transactions on top of the EVM: validity checks with
// typed errors, intrinsic gas, fees, refunds, the coinbase payment, receipts.
package chain

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/holiman/uint256"
	"github.com/velarium/velarium/evm"
)

// BlockEnv is the block context a transaction executes in.
type BlockEnv struct {
	Coinbase   common.Address
	GasLimit   uint64
	Number     uint64
	Time       uint64
	Difficulty uint256.Int  // pre-merge DIFFICULTY
	Random     *common.Hash // post-merge PREVRANDAO (nil before Paris)
	BaseFee    *uint256.Int // nil before London
	// ExcessBlobGas is the header's excess blob gas (nil before Cancun).
	ExcessBlobGas *uint64
	ChainID       uint256.Int
}

// Authorization is one EIP-7702 authorization tuple. Authority is the
// recovered signer, or nil when the signature does not recover.
type Authorization struct {
	ChainID   uint256.Int
	Address   common.Address
	Nonce     uint64
	V         uint8
	R, S      uint256.Int
	Authority *common.Address
}

// Message is a transaction with its sender known (recovered or given).
type Message struct {
	Type  uint8 // 0 legacy, 1 access list, 2 dynamic fee, 3 blob, 4 set code
	From  common.Address
	To    *common.Address // nil: contract creation
	Nonce uint64
	Value uint256.Int
	Gas   uint64
	// GasPrice for types 0 and 1; for types 2 to 4 GasFeeCap and GasTipCap.
	GasPrice   uint256.Int
	GasFeeCap  uint256.Int
	GasTipCap  uint256.Int
	Data       []byte
	AccessList types.AccessList
	// Blob transactions (type 3).
	BlobFeeCap uint256.Int
	BlobHashes []common.Hash
	// Set-code transactions (type 4).
	AuthList []Authorization
}

// Log is an EVM log.
type Log = evm.Log
