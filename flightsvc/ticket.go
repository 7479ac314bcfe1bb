package flightsvc

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
)

// ticketMagic starts every sealed ticket (and versions its format).
var ticketMagic = []byte("mtf1")

// sealer seals requests into tickets with AES-256-GCM: a client can
// neither read a ticket (a researcher's holds real subject ids) nor forge
// or alter one (to escape its role's limit or another caller's cohort).
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("flightsvc: ticket key of %d bytes, want at least 32", len(key))
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("medtwin/flight-ticket/v1"))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

func (s *sealer) seal(r *request) ([]byte, error) {
	plain, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("flightsvc: ticket: %w", err)
	}
	out := make([]byte, len(ticketMagic)+s.aead.NonceSize(), len(ticketMagic)+s.aead.NonceSize()+len(plain)+s.aead.Overhead())
	copy(out, ticketMagic)
	nonce := out[len(ticketMagic):]
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("flightsvc: ticket nonce: %w", err)
	}
	return s.aead.Seal(out, nonce, plain, ticketMagic), nil
}

func (s *sealer) open(t []byte) (*request, error) {
	ns := s.aead.NonceSize()
	if !bytes.HasPrefix(t, ticketMagic) || len(t) < len(ticketMagic)+ns+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: not a ticket of this service (pass GetFlightInfo's ticket, or a descriptor's JSON)", ErrBadTicket)
	}
	nonce := t[len(ticketMagic) : len(ticketMagic)+ns]
	plain, err := s.aead.Open(nil, nonce, t[len(ticketMagic)+ns:], ticketMagic)
	if err != nil {
		return nil, fmt.Errorf("%w: the ticket was not issued by this server or was altered", ErrBadTicket)
	}
	var r request
	if err := json.Unmarshal(plain, &r); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTicket, err)
	}
	return &r, nil
}
