// Package checkpoint is the one envelope of every checkpoint file: a header
// that says, whatever the kind of run, what it is (train, search,
// metatrain), the layout version of its state, the iterations done, the
// training seconds spent and whether the run finished, around the kind's own
// state (gob). Files are written atomically (internal/atomicfile). Files
// written before the envelope existed (the bare state) are still read.
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
	Kind     string  // "train", "search", "metatrain"
	Version  int     // layout version of the kind's state
	Iter     int     // iterations done
	TrainSec float64 // training wall clock so far
	Done     bool    // the run reached its end
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
	b, err := os.ReadFile(path)
	if err != nil {
		return Header{}, fmt.Errorf("checkpoint: %w", err)
	}
	var env envelope
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&env); err != nil || env.Magic != magic {
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(state); err != nil {
			return Header{}, fmt.Errorf("checkpoint %s: not a metabench %s checkpoint: %w", path, kind, err)
		}
		return Header{Kind: kind}, nil
	}
	if env.Header.Kind != kind {
		return Header{}, fmt.Errorf("checkpoint %s: a %s checkpoint, not a %s one", path, env.Header.Kind, kind)
	}
	if err := gob.NewDecoder(bytes.NewReader(env.State)).Decode(state); err != nil {
		return Header{}, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return env.Header, nil
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
