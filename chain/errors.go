package chain

import (
	"errors"
	"fmt"
)

// Validity errors: a transaction failing one of these cannot be included in
// a block and changes nothing. Each is a distinct value for errors.Is; the
// returned error wraps it with the numbers involved.
var (
	ErrTxTypeNotSupported      = errors.New("transaction type not supported")
	ErrNonceTooLow             = errors.New("nonce too low")
	ErrNonceTooHigh            = errors.New("nonce too high")
	ErrNonceMax                = errors.New("nonce has max value") // EIP-2681
	ErrSenderNoEOA             = errors.New("sender not an eoa")   // EIP-3607
	ErrInsufficientFunds       = errors.New("insufficient funds for gas * price + value")
	ErrIntrinsicGas            = errors.New("intrinsic gas too low")
	ErrFloorDataGas            = errors.New("insufficient gas for floor data gas cost") // EIP-7623
	ErrGasLimitReached         = errors.New("gas limit above the block's gas limit")
	ErrGasLimitTooHigh         = errors.New("transaction gas limit too high") // EIP-7825
	ErrFeeCapTooLow            = errors.New("max fee per gas less than block base fee")
	ErrTipAboveFeeCap          = errors.New("max priority fee per gas higher than max fee per gas")
	ErrMaxInitCodeSizeExceeded = errors.New("max initcode size exceeded") // EIP-3860
	ErrBlobTxCreate            = errors.New("blob transaction of type create")
	ErrMissingBlobHashes       = errors.New("blob transaction missing blob hashes")
	ErrInvalidBlobHashVersion  = errors.New("blob hash version not supported")
	ErrTooManyBlobs            = errors.New("too many blobs in transaction")
	ErrBlobFeeCapTooLow        = errors.New("max fee per blob gas less than block blob gas fee")
	ErrSetCodeTxCreate         = errors.New("set code transaction of type create") // EIP-7702
	ErrEmptyAuthList           = errors.New("set code transaction with empty auth list")
	ErrBlobGasLimitReached     = errors.New("blob gas above the block's limit")
)

func errorf(base error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{base}, args...)...)
}
