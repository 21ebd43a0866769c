package episodes_test

import (
	"fmt"

	"github.com/metabench/metabench/episodes"
)

// digits is a toy Source: 4 classes of 6 one-pixel images, image i of class
// i/6 holding the value i.
type digits struct{}

func (digits) NumClasses() int { return 4 }
func (digits) ClassIndices(c int) []int {
	return []int{6 * c, 6*c + 1, 6*c + 2, 6*c + 3, 6*c + 4, 6*c + 5}
}
func (digits) ImageShape() (c, h, w int)  { return 1, 1, 1 }
func (digits) Image(dst []float32, i int) { dst[0] = float32(i) }

func ExampleSampler() {
	s, err := episodes.NewSampler(digits{}, nil, episodes.Spec{Ways: 2, Shots: 1, Queries: 2}, 42)
	if err != nil {
		panic(err)
	}
	e := s.Episode(0)
	var support, query episodes.Task
	episodes.MaterializeEpisode(&support, &query, digits{}, &e)
	fmt.Println("classes", e.Classes, "support", e.Support, "query", e.Query)
	fmt.Println("support X", support.X, "Y", support.Y)
	fmt.Println("query   Y", query.Y)
	fmt.Println("same again:", fmt.Sprint(s.Episode(0)) == fmt.Sprint(e))
	_, err = episodes.NewSampler(digits{}, nil, episodes.Spec{Ways: 5, Shots: 1, Queries: 1}, 42)
	fmt.Println(err)
	// Output:
	// classes [2 3] support [17 23] query [13 16 19 22]
	// support X [17 23] Y [0 1]
	// query   Y [0 0 1 1]
	// same again: true
	// 5 ways asked of 4 classes
}
