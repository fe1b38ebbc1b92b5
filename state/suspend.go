package state

import "github.com/ethereum/go-ethereum/common"

// Suspending wraps a Source so that the first request for each distinct
// access (account, code, slot, block hash) answers ErrNotReady and later
// requests answer from the wrapped Source. Tests use it to suspend a
// transaction at every state access and resume it, which must not change
// any result.
type Suspending struct {
	Src Source
	// Suspensions counts the ErrNotReady answers given.
	Suspensions int
	seen        map[accessKey]struct{}
}

type accessKey struct {
	kind byte
	addr common.Address
	key  common.Hash
}

// NewSuspending wraps src.
func NewSuspending(src Source) *Suspending {
	return &Suspending{Src: src, seen: make(map[accessKey]struct{})}
}

func (s *Suspending) first(k accessKey) bool {
	if _, ok := s.seen[k]; ok {
		return false
	}
	s.seen[k] = struct{}{}
	s.Suspensions++
	return true
}

// Account implements Source.
func (s *Suspending) Account(addr common.Address) (Account, bool, error) {
	if s.first(accessKey{kind: 'a', addr: addr}) {
		return Account{}, false, ErrNotReady
	}
	return s.Src.Account(addr)
}

// Code implements Source.
func (s *Suspending) Code(addr common.Address, codeHash common.Hash) ([]byte, error) {
	if s.first(accessKey{kind: 'c', addr: addr, key: codeHash}) {
		return nil, ErrNotReady
	}
	return s.Src.Code(addr, codeHash)
}

// Storage implements Source.
func (s *Suspending) Storage(addr common.Address, slot common.Hash) (common.Hash, error) {
	if s.first(accessKey{kind: 's', addr: addr, key: slot}) {
		return common.Hash{}, ErrNotReady
	}
	return s.Src.Storage(addr, slot)
}

// BlockHash implements Source.
func (s *Suspending) BlockHash(n uint64) (common.Hash, error) {
	var k common.Hash
	k[0], k[1], k[2], k[3], k[4], k[5], k[6], k[7] = byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	if s.first(accessKey{kind: 'h', key: k}) {
		return common.Hash{}, ErrNotReady
	}
	return s.Src.BlockHash(n)
}
