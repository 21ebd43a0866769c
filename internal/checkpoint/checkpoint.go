// Package checkpoint is the one envelope and the one payload of every
// checkpoint file: a header that says, whatever the kind of run, what it is
// (the run kind of the experiment registry), the layout version of its
// state, the iterations done, the training seconds spent and whether the
// run finished, around a State (gob): the learned tensors by name, the
// optimisers' state, the curve and the kind's own few fields. Files are
// written atomically (internal/atomicfile). Files of layout version 1 (each
// kind's own struct) and files written before the envelope existed (the
// bare struct) are still read (Format.Load).
package checkpoint

import (
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"os"

	"github.com/metabench/metabench/internal/atomicfile"
)

// Header is what every checkpoint says of its run.
type Header struct {
	Kind     string  // the run kind (Format.Kind)
	Version  int     // layout version of the payload: StateVersion, or 1 for the kind's own struct
	Iter     int     // iterations done
	TrainSec float64 // training wall clock so far
	// CPUSec is the CPU time (user + system) of the processes that ran it
	// so far, so that a run resumed across sittings reports all of it; 0 in
	// checkpoints written before it was kept.
	CPUSec float64
	Done   bool // the run reached its end
}

// magic marks an envelope.
const magic = "metabench checkpoint"

type envelope struct {
	Magic  string
	Header Header
	State  []byte
}

// Write writes state (gob-encoded) in an envelope with header h to path,
// atomically.
func Write(path string, h Header, state any) error {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(state); err != nil {
		return fmt.Errorf("encoding %s checkpoint: %w", h.Kind, err)
	}
	return atomicfile.WriteGob(path, envelope{Magic: magic, Header: h, State: buf.Bytes()})
}

// Read decodes the checkpoint at path into state and returns its header. A
// checkpoint of another kind is an error naming both; a file without an
// envelope is decoded as the bare state of kind (Header.Kind set, the rest
// zero).
func Read(path, kind string, state any) (Header, error) {
	h, b, bare, err := payload(path, kind)
	if err != nil {
		return Header{}, err
	}
	return h, decode(path, kind, b, bare, state)
}

// payload reads the checkpoint at path: its header and its encoded state.
// A file without an envelope is the bare state of kind (bare true, the
// header says only the kind); a checkpoint of another kind is an error.
func payload(path, kind string) (h Header, state []byte, bare bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Header{}, nil, false, fmt.Errorf("checkpoint: %w", err)
	}
	var env envelope
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&env); err != nil || env.Magic != magic {
		return Header{Kind: kind}, b, true, nil
	}
	if env.Header.Kind != kind {
		return Header{}, nil, false, fmt.Errorf("checkpoint %s: a %s checkpoint, not a %s one", path, env.Header.Kind, kind)
	}
	return env.Header, env.State, false, nil
}

// decode decodes the state b of the checkpoint at path into v.
func decode(path, kind string, b []byte, bare bool, v any) error {
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(v); err != nil {
		if bare {
			return fmt.Errorf("checkpoint %s: not a metabench %s checkpoint: %w", path, kind, err)
		}
		return fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return nil
}

// ReadHeader returns the header of the checkpoint at path without decoding
// its state; ErrNoEnvelope for a file written before the envelope.
func ReadHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, fmt.Errorf("checkpoint: %w", err)
	}
	defer f.Close()
	var env envelope
	if err := gob.NewDecoder(f).Decode(&env); err != nil || env.Magic != magic {
		return Header{}, fmt.Errorf("checkpoint %s: %w", path, ErrNoEnvelope)
	}
	return env.Header, nil
}

// ErrNoEnvelope is returned by ReadHeader for a file without an envelope.
var ErrNoEnvelope = errors.New("no checkpoint envelope (written by an older metabench, or not a checkpoint)")
