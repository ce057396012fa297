package e2ee

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// Neither Signal's PQXDH nor its Double Ratchet specification publishes
// test vectors, and libsignal has none for PQXDH with ML-KEM (its PQXDH
// tests use random keys). libsignal does publish vectors for the parts
// that Haven computes the same way: the chain-key step (KDF_CK), the
// X3DH half of the key agreement (F || DH1 || DH2 || DH3 through HKDF with
// a zero salt) and the numeric fingerprint (fingerprint_test.go). Those are
// checked here with libsignal's own info strings; Haven's own KDFs with
// Haven's info strings are checked against values computed independently
// (Python's hmac and hashlib, RFC 5869 written out; the script is in the
// comment of TestKDFsIndependent).

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func to32(t *testing.T, s string) key32 {
	var k key32
	copy(k[:], unhex(t, s))
	return k
}

// TestKDFChainLibsignalVector: KDF_CK against libsignal's
// test_chain_key_derivation (rust/protocol/src/ratchet/keys.rs): the next
// chain key is HMAC(ck, 0x02); libsignal's message keys are HKDF of
// HMAC(ck, 0x01) with info "WhisperMessageKeys".
func TestKDFChainLibsignalVector(t *testing.T) {
	ck := to32(t, "8ab72d6f4cc5ac0d387eaf463378ddb28edd07385b1cb01250c715982e7ad48f")
	next, mk := kdfCK(ck)
	if got, want := hex.EncodeToString(next[:]), "28e8f8fee54b801eef7c5cfb2f17f32c7b334485bbb70fac6ec10342a246d15d"; got != want {
		t.Errorf("next chain key %s, want %s", got, want)
	}
	keys, err := hkdf.Key(sha256.New, mk[:], nil, "WhisperMessageKeys", 80)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(keys[:32]), "bf51e9d75e0e31031051f82a2491ffc084fa298b7793bd9db620056febf45217"; got != want {
		t.Errorf("cipher key %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(keys[32:64]), "c6c77d6a73a354337a56435e34607dfe48e3ace14e77314dc6abc172e7a7030b"; got != want {
		t.Errorf("MAC key %s, want %s", got, want)
	}
}

// TestKeyAgreementLibsignalVector: the key agreement's DH order and KDF
// against libsignal's test_ratcheting_session_as_bob
// (rust/protocol/tests/ratchet.rs): an X3DH run (no one-time key, no KEM)
// with info "WhisperText" and 64 bytes out, whose second half is Bob's
// first sending chain key. PQXDH's KDF is the same with the KEM secret
// appended to the DH outputs.
func TestKeyAgreementLibsignalVector(t *testing.T) {
	bobIdentity, err := x25519Private(unhex(t, "4875cc69ddf8ea0719ec947d61081135868d5fd801f02c0225e516df2156605e"))
	if err != nil {
		t.Fatal(err)
	}
	bobSigned, err := x25519Private(unhex(t, "583900131fb727998b7803fe6ac22cc591f342e4e42a8c8d5d78194209b8d253"))
	if err != nil {
		t.Fatal(err)
	}
	// libsignal's public keys carry a 0x05 type byte: EncodeEC.
	aliceIdentity := unhex(t, "05b4a8455660ada65b401007f615e654041746432e3339c6875149bceefcb42b4a")
	aliceBase := unhex(t, "05472d1fb1a9862c3af6beaca8920277e2b26f4a79213ec7c906aeb35e03cf8950")
	if got := encodeEC(aliceBase[1:]); string(got) != string(aliceBase) {
		t.Fatalf("EncodeEC %x, libsignal %x", got, aliceBase)
	}
	dh1, err := dh(bobSigned, aliceIdentity[1:])
	if err != nil {
		t.Fatal(err)
	}
	dh2, err := dh(bobIdentity, aliceBase[1:])
	if err != nil {
		t.Fatal(err)
	}
	dh3, err := dh(bobSigned, aliceBase[1:])
	if err != nil {
		t.Fatal(err)
	}
	out := pqxdhKDF("WhisperText", 64, dh1, dh2, dh3)
	if got, want := hex.EncodeToString(out[32:]), "9797caca53c989bbe229a40ca7727010eb2604fc14945d77958a0aeda088b44d"; got != want {
		t.Errorf("sender chain key %s, want %s", got, want)
	}
}

// TestKDFsIndependent: Haven's KDF_RK, message key schedule and PQXDH KDF
// against values computed apart from Go, with this Python 3 (standard
// library only):
//
//	import hmac, hashlib
//	def hkdf(salt, ikm, info, n):
//	    prk = hmac.new(salt or b'\0'*32, ikm, hashlib.sha256).digest()
//	    out, t, i = b'', b'', 1
//	    while len(out) < n:
//	        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest(); out += t; i += 1
//	    return out[:n]
//	hkdf(bytes(range(32)), bytes(range(32, 64)), b"Haven_E2EE_v1_Ratchet", 64)
//	hkdf(b'\0'*32, bytes(range(64, 96)), b"Haven_E2EE_v1_MessageKeys", 44)
//	hkdf(b'\0'*32, b'\xff'*32 + bytes(range(100, 228)) + bytes(range(200, 232)),
//	     b"Haven_E2EE_v1_X25519_SHA-256_ML-KEM-768", 32)
func TestKDFsIndependent(t *testing.T) {
	var rk, dhOut, mk key32
	for i := range 32 {
		rk[i], dhOut[i], mk[i] = byte(i), byte(32+i), byte(64+i)
	}
	newRK, ck := kdfRK(rk, dhOut[:])
	if got, want := hex.EncodeToString(newRK[:]), "efa6381d28a15c54dc940c2bfe5cf962aebf0ccb2b56e42b68bd086453926b7d"; got != want {
		t.Errorf("KDF_RK root key %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(ck[:]), "8589efa820a78af729dfc858296935904aded010000721c582405882e369a1b1"; got != want {
		t.Errorf("KDF_RK chain key %s, want %s", got, want)
	}
	km := messageKeyMaterial(mk)
	if got, want := hex.EncodeToString(km), "147f7e843f1b5c8e6faf6dbdc857a52945bfc696e05e2e61a1c6be7276e3f56c"+"f487e7b5d56924ec74fccfde"; got != want {
		t.Errorf("message key and nonce %s, want %s", got, want)
	}
	parts := make([][]byte, 5)
	for i := range 4 {
		parts[i] = make([]byte, 32)
		for j := range 32 {
			parts[i][j] = byte(100 + 32*i + j)
		}
	}
	parts[4] = make([]byte, 32)
	for j := range 32 {
		parts[4][j] = byte(200 + j)
	}
	if got, want := hex.EncodeToString(pqxdhKDF(infoPQXDH, 32, parts...)), "6ae05fc6e28807958e0c5499721c049a97ae4a4e61afacda915088a318d5d895"; got != want {
		t.Errorf("PQXDH KDF %s, want %s", got, want)
	}
}

// TestHKDFRFC5869: the HKDF used throughout, against RFC 5869's test
// cases 1 and 3 (SHA-256).
func TestHKDFRFC5869(t *testing.T) {
	for _, tc := range []struct{ ikm, salt, info, okm string }{
		{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c", "f0f1f2f3f4f5f6f7f8f9",
			"3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"},
		{"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
			"8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"},
	} {
		okm, err := hkdf.Key(sha256.New, unhex(t, tc.ikm), unhex(t, tc.salt), string(unhex(t, tc.info)), len(tc.okm)/2)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(okm); got != tc.okm {
			t.Errorf("OKM %s, want %s", got, tc.okm)
		}
	}
}
