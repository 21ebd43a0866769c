package optim

import "math"

// Schedule is a learning rate as a function of the iteration i (Rate):
//
//	step decay, StepEvery > 0:   lr_i = LR · StepFactor^⌊i / StepEvery⌋      (Prototypical Networks)
//	constant, Iterations ≤ 0:    lr_i = LR
//	cosine, Cosine:              lr_i = Final + (LR - Final) · (1 + cos(π · min(i/Iterations, 1))) / 2   (MAML++)
//	linear otherwise:            lr_i = LR + (Final - LR) · min(i/Iterations, 1)
//
// in that order of precedence, each computed in float64 as written (the
// outer Adam of package maml and Reptile's meta step ε read it).
type Schedule struct {
	LR, Final  float64
	Iterations int
	Cosine     bool
	StepEvery  int
	StepFactor float64
}

// Rate is the learning rate at iteration iter.
func (s Schedule) Rate(iter int) float64 {
	if s.StepEvery > 0 {
		return s.LR * math.Pow(s.StepFactor, float64(iter/s.StepEvery))
	}
	if s.Iterations <= 0 {
		return s.LR
	}
	f := math.Min(float64(iter)/float64(s.Iterations), 1)
	if s.Cosine {
		return s.Final + (s.LR-s.Final)*(1+math.Cos(math.Pi*f))/2
	}
	return s.LR + (s.Final-s.LR)*f
}
