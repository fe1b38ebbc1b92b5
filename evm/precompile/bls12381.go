package precompile

import (
	"errors"

	"github.com/consensys/gnark-crypto/ecc"
	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fp"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// Gas of the EIP-2537 BLS12-381 precompiles (final, Prague, version).
const (
	blsG1AddGas          = 375
	blsG1MulGas          = 12000
	blsG2AddGas          = 600
	blsG2MulGas          = 22500
	blsPairingBaseGas    = 37700
	blsPairingPerPairGas = 32600
	blsMapFpToG1Gas      = 5500
	blsMapFp2ToG2Gas     = 23800
	blsMSMMultiplier     = 1000 // discounts are in thousandths
)

// blsG1MSMDiscount and blsG2MSMDiscount are the EIP-2537 MSM discount
// tables: entry k-1 is the discount for k pairs; k > 128 uses the last.
var (
	blsG1MSMDiscount = [128]uint16{1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677, 673, 669, 665, 661, 658, 654, 651, 648, 645, 642, 640, 637, 635, 632, 630, 627, 625, 623, 621, 619, 617, 615, 613, 611, 609, 608, 606, 604, 603, 601, 599, 598, 596, 595, 593, 592, 591, 589, 588, 586, 585, 584, 582, 581, 580, 579, 577, 576, 575, 574, 573, 572, 570, 569, 568, 567, 566, 565, 564, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547, 547, 546, 545, 544, 543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531, 530, 529, 528, 528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519}
	blsG2MSMDiscount = [128]uint16{1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717, 711, 704, 699, 693, 688, 683, 679, 674, 670, 666, 663, 659, 655, 652, 649, 646, 643, 640, 637, 634, 632, 629, 627, 624, 622, 620, 618, 615, 613, 611, 609, 607, 606, 604, 602, 600, 598, 597, 595, 593, 592, 590, 589, 587, 586, 584, 583, 582, 580, 579, 578, 576, 575, 574, 573, 571, 570, 569, 568, 567, 566, 565, 563, 562, 561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551, 550, 549, 548, 547, 546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535, 534, 533, 532, 532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524}
)

// Encoded sizes (EIP-2537): a base-field element is 64 bytes (16 zero bytes
// then 48 big-endian bytes), a G1 point 128 (x | y), a G2 point 256
// (x.c0 | x.c1 | y.c0 | y.c1), a scalar 32 (big-endian).
const (
	blsFpLength      = 64
	blsG1Length      = 2 * blsFpLength
	blsG2Length      = 4 * blsFpLength
	blsScalarLength  = 32
	blsG1MSMPair     = blsG1Length + blsScalarLength
	blsG2MSMPair     = blsG2Length + blsScalarLength
	blsPairingLength = blsG1Length + blsG2Length
)

var (
	errBLSLength      = errors.New("bls12-381: invalid input length")
	errBLSTopBytes    = errors.New("bls12-381: field element top 16 bytes not zero")
	errBLSNotOnCurve  = errors.New("bls12-381: point not on curve")
	errBLSG1Subgroup  = errors.New("bls12-381: g1 point not in subgroup")
	errBLSG2Subgroup  = errors.New("bls12-381: g2 point not in subgroup")
	errBLSMSMInternal = errors.New("bls12-381: multi-scalar multiplication failed")
)

// blsG1Add (0x0b) adds two G1 points. Input is exactly 256 bytes (two G1
// points); points must be on the curve but need not be in the subgroup.
// Output is the 128-byte sum. Invalid input makes the call fail.
type blsG1Add struct{}

// RequiredGas implements Contract.
func (blsG1Add) RequiredGas([]byte) uint64 { return blsG1AddGas }

// Run implements Contract.
func (blsG1Add) Run(input []byte) ([]byte, error) {
	if len(input) != 2*blsG1Length {
		return nil, errBLSLength
	}
	a, err := blsDecodeG1(input[:blsG1Length])
	if err != nil {
		return nil, err
	}
	b, err := blsDecodeG1(input[blsG1Length:])
	if err != nil {
		return nil, err
	}
	a.Add(&a, &b)
	return blsEncodeG1(&a), nil
}

// blsG2Add (0x0d) adds two G2 points. Input is exactly 512 bytes (two G2
// points); points must be on the curve but need not be in the subgroup.
// Output is the 256-byte sum. Invalid input makes the call fail.
type blsG2Add struct{}

// RequiredGas implements Contract.
func (blsG2Add) RequiredGas([]byte) uint64 { return blsG2AddGas }

// Run implements Contract.
func (blsG2Add) Run(input []byte) ([]byte, error) {
	if len(input) != 2*blsG2Length {
		return nil, errBLSLength
	}
	a, err := blsDecodeG2(input[:blsG2Length])
	if err != nil {
		return nil, err
	}
	b, err := blsDecodeG2(input[blsG2Length:])
	if err != nil {
		return nil, err
	}
	var r bls12381.G2Affine
	r.Add(&a, &b)
	return blsEncodeG2(&r), nil
}

// blsMSMGas is the EIP-2537 MSM price: k * mulGas * discount(k) / 1000,
// with k the number of whole pairs in the input (0 gas when k == 0; such
// a call fails).
func blsMSMGas(inputLen, pairLen int, mulGas uint64, discount *[128]uint16) uint64 {
	k := inputLen / pairLen
	if k == 0 {
		return 0
	}
	d := uint64(discount[min(k, len(discount))-1])
	return uint64(k) * mulGas * d / blsMSMMultiplier
}

// blsG1MSM (0x0c) computes sum(s_i * P_i) over k >= 1 (G1 point, scalar)
// pairs of 160 bytes. Points must be in the G1 subgroup; scalars are any
// 256-bit values. Output is the 128-byte result.
type blsG1MSM struct{}

// RequiredGas implements Contract.
func (blsG1MSM) RequiredGas(input []byte) uint64 {
	return blsMSMGas(len(input), blsG1MSMPair, blsG1MulGas, &blsG1MSMDiscount)
}

// Run implements Contract.
func (blsG1MSM) Run(input []byte) ([]byte, error) {
	if len(input) == 0 || len(input)%blsG1MSMPair != 0 {
		return nil, errBLSLength
	}
	k := len(input) / blsG1MSMPair
	points := make([]bls12381.G1Affine, k)
	scalars := make([]fr.Element, k)
	for i := range k {
		pair := input[i*blsG1MSMPair : (i+1)*blsG1MSMPair]
		p, err := blsDecodeG1(pair[:blsG1Length])
		if err != nil {
			return nil, err
		}
		if !p.IsInSubGroup() {
			return nil, errBLSG1Subgroup
		}
		points[i] = p
		scalars[i].SetBytes(pair[blsG1Length:])
	}
	var r bls12381.G1Affine
	if _, err := r.MultiExp(points, scalars, ecc.MultiExpConfig{}); err != nil {
		return nil, errBLSMSMInternal
	}
	return blsEncodeG1(&r), nil
}

// blsG2MSM (0x0e) computes sum(s_i * Q_i) over k >= 1 (G2 point, scalar)
// pairs of 288 bytes. Points must be in the G2 subgroup; scalars are any
// 256-bit values. Output is the 256-byte result.
type blsG2MSM struct{}

// RequiredGas implements Contract.
func (blsG2MSM) RequiredGas(input []byte) uint64 {
	return blsMSMGas(len(input), blsG2MSMPair, blsG2MulGas, &blsG2MSMDiscount)
}

// Run implements Contract.
func (blsG2MSM) Run(input []byte) ([]byte, error) {
	if len(input) == 0 || len(input)%blsG2MSMPair != 0 {
		return nil, errBLSLength
	}
	k := len(input) / blsG2MSMPair
	points := make([]bls12381.G2Affine, k)
	scalars := make([]fr.Element, k)
	for i := range k {
		pair := input[i*blsG2MSMPair : (i+1)*blsG2MSMPair]
		p, err := blsDecodeG2(pair[:blsG2Length])
		if err != nil {
			return nil, err
		}
		if !p.IsInSubGroup() {
			return nil, errBLSG2Subgroup
		}
		points[i] = p
		scalars[i].SetBytes(pair[blsG2Length:])
	}
	var r bls12381.G2Affine
	if _, err := r.MultiExp(points, scalars, ecc.MultiExpConfig{}); err != nil {
		return nil, errBLSMSMInternal
	}
	return blsEncodeG2(&r), nil
}

// blsPairing (0x0f) checks that the product of the pairings of k >= 1
// (G1, G2) pairs of 384 bytes is one. Points must be in their subgroups.
// Output is 32 bytes: 1 if the check holds, else 0.
type blsPairing struct{}

// RequiredGas implements Contract.
func (blsPairing) RequiredGas(input []byte) uint64 {
	return blsPairingBaseGas + uint64(len(input)/blsPairingLength)*blsPairingPerPairGas
}

// Run implements Contract.
func (blsPairing) Run(input []byte) ([]byte, error) {
	if len(input) == 0 || len(input)%blsPairingLength != 0 {
		return nil, errBLSLength
	}
	k := len(input) / blsPairingLength
	ps := make([]bls12381.G1Affine, k)
	qs := make([]bls12381.G2Affine, k)
	for i := range k {
		pair := input[i*blsPairingLength : (i+1)*blsPairingLength]
		p, err := blsDecodeG1(pair[:blsG1Length])
		if err != nil {
			return nil, err
		}
		q, err := blsDecodeG2(pair[blsG1Length:])
		if err != nil {
			return nil, err
		}
		if !p.IsInSubGroup() {
			return nil, errBLSG1Subgroup
		}
		if !q.IsInSubGroup() {
			return nil, errBLSG2Subgroup
		}
		ps[i], qs[i] = p, q
	}
	out := make([]byte, 32)
	if ok, err := bls12381.PairingCheck(ps, qs); err == nil && ok {
		out[31] = 1
	}
	return out, nil
}

// blsMapFpToG1 (0x10) maps a base-field element (64 bytes) to G1 with the
// simplified SWU map and cofactor clearing. Output is a 128-byte G1 point.
type blsMapFpToG1 struct{}

// RequiredGas implements Contract.
func (blsMapFpToG1) RequiredGas([]byte) uint64 { return blsMapFpToG1Gas }

// Run implements Contract.
func (blsMapFpToG1) Run(input []byte) ([]byte, error) {
	if len(input) != blsFpLength {
		return nil, errBLSLength
	}
	u, err := blsDecodeFp(input)
	if err != nil {
		return nil, err
	}
	p := bls12381.MapToG1(u)
	return blsEncodeG1(&p), nil
}

// blsMapFp2ToG2 (0x11) maps an Fp2 element c0 | c1 (128 bytes) to G2 with
// the simplified SWU map and cofactor clearing. Output is a 256-byte G2
// point.
type blsMapFp2ToG2 struct{}

// RequiredGas implements Contract.
func (blsMapFp2ToG2) RequiredGas([]byte) uint64 { return blsMapFp2ToG2Gas }

// Run implements Contract.
func (blsMapFp2ToG2) Run(input []byte) ([]byte, error) {
	if len(input) != 2*blsFpLength {
		return nil, errBLSLength
	}
	c0, err := blsDecodeFp(input[:blsFpLength])
	if err != nil {
		return nil, err
	}
	c1, err := blsDecodeFp(input[blsFpLength:])
	if err != nil {
		return nil, err
	}
	var u bls12381.E2
	u.A0, u.A1 = c0, c1
	p := bls12381.MapToG2(u)
	return blsEncodeG2(&p), nil
}

// blsDecodeFp decodes a 64-byte base-field element: 16 zero bytes, then a
// 48-byte big-endian value below the field modulus.
func blsDecodeFp(in []byte) (fp.Element, error) {
	for _, b := range in[:16] {
		if b != 0 {
			return fp.Element{}, errBLSTopBytes
		}
	}
	return fp.BigEndian.Element((*[fp.Bytes]byte)(in[16:blsFpLength]))
}

// blsDecodeG1 decodes a 128-byte G1 point and checks it is on the curve
// ((0, 0) is the point at infinity). It does not check the subgroup.
func blsDecodeG1(in []byte) (bls12381.G1Affine, error) {
	var p bls12381.G1Affine
	var err error
	if p.X, err = blsDecodeFp(in[:blsFpLength]); err != nil {
		return p, err
	}
	if p.Y, err = blsDecodeFp(in[blsFpLength:blsG1Length]); err != nil {
		return p, err
	}
	if !p.IsOnCurve() {
		return p, errBLSNotOnCurve
	}
	return p, nil
}

// blsDecodeG2 decodes a 256-byte G2 point and checks it is on the curve
// ((0, 0) is the point at infinity). It does not check the subgroup.
func blsDecodeG2(in []byte) (bls12381.G2Affine, error) {
	var p bls12381.G2Affine
	var err error
	if p.X.A0, err = blsDecodeFp(in[0:64]); err != nil {
		return p, err
	}
	if p.X.A1, err = blsDecodeFp(in[64:128]); err != nil {
		return p, err
	}
	if p.Y.A0, err = blsDecodeFp(in[128:192]); err != nil {
		return p, err
	}
	if p.Y.A1, err = blsDecodeFp(in[192:256]); err != nil {
		return p, err
	}
	if !p.IsOnCurve() {
		return p, errBLSNotOnCurve
	}
	return p, nil
}

// blsEncodeG1 encodes a G1 point in 128 bytes.
func blsEncodeG1(p *bls12381.G1Affine) []byte {
	out := make([]byte, blsG1Length)
	fp.BigEndian.PutElement((*[fp.Bytes]byte)(out[16:64]), p.X)
	fp.BigEndian.PutElement((*[fp.Bytes]byte)(out[80:128]), p.Y)
	return out
}

// blsEncodeG2 encodes a G2 point in 256 bytes.
func blsEncodeG2(p *bls12381.G2Affine) []byte {
	out := make([]byte, blsG2Length)
	fp.BigEndian.PutElement((*[fp.Bytes]byte)(out[16:64]), p.X.A0)
	fp.BigEndian.PutElement((*[fp.Bytes]byte)(out[80:128]), p.X.A1)
	fp.BigEndian.PutElement((*[fp.Bytes]byte)(out[144:192]), p.Y.A0)
	fp.BigEndian.PutElement((*[fp.Bytes]byte)(out[208:256]), p.Y.A1)
	return out
}
