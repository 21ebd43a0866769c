package parallel

import (
	"errors"
	"fmt"
	"testing"
)

func TestForFillsEverySlotAndReportsLowestError(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 7} {
		out := make([]int, 50)
		if err := For(len(out), workers, func(i int) error { out[i] = i * i; return nil }); err != nil {
			t.Fatal(err)
		}
		for i, v := range out {
			if v != i*i {
				t.Fatalf("workers=%d: slot %d = %d", workers, i, v)
			}
		}
		err := For(20, workers, func(i int) error {
			if i == 5 || i == 13 {
				return fmt.Errorf("task %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "task 5" {
			t.Fatalf("workers=%d: got %v, want the error of task 5", workers, err)
		}
	}
	if err := For(0, 2, func(int) error { return errors.New("never") }); err != nil {
		t.Fatal(err)
	}
}
