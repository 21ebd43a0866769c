package experiment_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/experiment"
)

// Train a tiny first-order MAML experiment on the embedded Omniglot and read
// its record: what a Go program or a job does instead of calling the
// command line.
func Example() {
	cfg := config.Default()
	for _, kv := range []string{"method=fomaml", "model.filters=4", "iterations=2", "budget=0", "meta_batch=1",
		"queries=1", "eval.episodes=3", "eval.queries=1", "eval.val_episodes=0"} {
		if err := cfg.Set(kv); err != nil {
			log.Fatal(err)
		}
	}
	dir, err := os.MkdirTemp("", "metabench-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	rec, err := experiment.Train(context.Background(), &cfg, experiment.Options{Out: dir, Label: "example"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Kind, rec.Method, rec.Label, rec.Iters, "iterations,", rec.Summary.N, "test episodes")
	fmt.Println(rec.Summary.Mean >= 0 && rec.Summary.Mean <= 1)
	// Output:
	// train fomaml example 2 iterations, 3 test episodes
	// true
}
