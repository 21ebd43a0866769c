package episodes

import "math/bits"

// rng is a splitmix64 generator. Episode i of seed s uses the stream
//
//	state_0 = mix(mix(s) ^ (i * 0xD1B54A32D192ED03 + 0x2545F4914F6CDD1D))
//	state_{t+1} = state_t + 0x9E3779B97F4A7C15,  output_t = mix(state_{t+1})
//
// where mix is the splitmix64 finaliser. It depends on nothing but (s, i).
type rng struct{ s uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func newRNG(seed, index uint64) rng {
	return rng{s: mix64(mix64(seed) ^ (index*0xD1B54A32D192ED03 + 0x2545F4914F6CDD1D))}
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	return mix64(r.s)
}

// intN returns a uniform integer in [0, n) (Lemire's multiply-and-reject).
func (r *rng) intN(n int) int {
	bound := uint64(n)
	hi, lo := bits.Mul64(r.next(), bound)
	if lo < bound {
		thresh := -bound % bound
		for lo < thresh {
			hi, lo = bits.Mul64(r.next(), bound)
		}
	}
	return int(hi)
}

// float64 returns a uniform value in [0, 1).
func (r *rng) float64() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

// sample fills out with len(out) distinct values of 0..n-1 in uniformly
// random order (every ordered k-subset equally likely):
//   - n <= 64: a partial Fisher-Yates shuffle of 0..n-1 on the stack;
//   - 2k <= n: sequential draws, redrawing values already taken;
//   - otherwise: Floyd's subset algorithm followed by a Fisher-Yates shuffle.
//
// The method depends only on (k, n), so results are deterministic. It panics
// if len(out) > n.
func (r *rng) sample(out []int, n int) {
	k := len(out)
	if k > n {
		panic("episodes: sample of more items than there are")
	}
	if n <= 64 {
		var p [64]int
		for j := 0; j < n; j++ {
			p[j] = j
		}
		for t := 0; t < k; t++ {
			u := t + r.intN(n-t)
			p[t], p[u] = p[u], p[t]
			out[t] = p[t]
		}
		return
	}
	var seen []bool
	if k > 64 {
		seen = make([]bool, n)
	}
	taken := func(m, v int) bool {
		if seen != nil {
			return seen[v]
		}
		for _, x := range out[:m] {
			if x == v {
				return true
			}
		}
		return false
	}
	if 2*k <= n {
		for m := 0; m < k; m++ {
			v := r.intN(n)
			for taken(m, v) {
				v = r.intN(n)
			}
			out[m] = v
			if seen != nil {
				seen[v] = true
			}
		}
		return
	}
	m := 0
	for j := n - k; j < n; j++ {
		t := r.intN(j + 1)
		if taken(m, t) {
			t = j
		}
		out[m] = t
		if seen != nil {
			seen[t] = true
		}
		m++
	}
	for j := k - 1; j > 0; j-- {
		u := r.intN(j + 1)
		out[j], out[u] = out[u], out[j]
	}
}
