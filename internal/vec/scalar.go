package vec

func sumScalar(x []float32) float64 {
	var l [Lanes]float64
	n := len(x) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		q := x[i : i+Lanes : i+Lanes]
		for j := range l {
			l[j] += float64(q[j])
		}
	}
	for j := 0; n+j < len(x); j++ {
		l[j] += float64(x[n+j])
	}
	return treeSum(&l)
}

func dotScalar(x, y []float32) float64 {
	y = y[:len(x)]
	var l [Lanes]float64
	n := len(x) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		p, q := x[i:i+Lanes:i+Lanes], y[i:i+Lanes:i+Lanes]
		for j := range l {
			l[j] += float64(p[j]) * float64(q[j])
		}
	}
	for j := 0; n+j < len(x); j++ {
		l[j] += float64(x[n+j]) * float64(y[n+j])
	}
	return treeSum(&l)
}

func sqDevScalar(x []float32, mu float64) float64 {
	var l [Lanes]float64
	n := len(x) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		q := x[i : i+Lanes : i+Lanes]
		for j := range l {
			d := float64(q[j]) - mu
			l[j] += d * d
		}
	}
	for j := 0; n+j < len(x); j++ {
		d := float64(x[n+j]) - mu
		l[j] += d * d
	}
	return treeSum(&l)
}

func sumDevScalar(g, x []float32, mu float64) (float64, float64) {
	x = x[:len(g)]
	var a, b [Lanes]float64
	n := len(g) &^ (Lanes - 1)
	for i := 0; i < n; i += Lanes {
		p, q := g[i:i+Lanes:i+Lanes], x[i:i+Lanes:i+Lanes]
		for j := range a {
			gv := float64(p[j])
			a[j] += gv
			b[j] += gv * (float64(q[j]) - mu)
		}
	}
	for j := 0; n+j < len(g); j++ {
		gv := float64(g[n+j])
		a[j] += gv
		b[j] += gv * (float64(x[n+j]) - mu)
	}
	return treeSum(&a), treeSum(&b)
}

func affineScalar(dst, x []float32, mu, r, t float64) {
	dst = dst[:len(x)]
	for k, v := range x {
		dst[k] = float32((float64(v)-mu)*r + t)
	}
}

func bnDxScalar(dst, g, x []float32, a, mg, mu, coef float64) {
	dst, x = dst[:len(g)], x[:len(g)]
	for k, v := range g {
		dst[k] = float32(a * (float64(v) - mg - (float64(x[k])-mu)*coef))
	}
}

func fma2Scalar(dst, x, y []float32, a, b, s float64) {
	dst, y = dst[:len(x)], y[:len(x)]
	for k, v := range x {
		dst[k] = float32(a*float64(v) + b*float64(y[k]) + s)
	}
}

func widenScalar(dst []float64, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = float64(v)
	}
}
