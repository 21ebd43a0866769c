package tensor

// The depthwise convolution as it was first written: direct loops over the
// valid output range of each tap, kept as the oracle of conv_depthwise.go
// (forward and input gradient must agree with it bit for bit: the same
// products added in the same order; the weight gradient sums in another
// fixed order and agrees to rounding).
//
// For channel c of image n, with w_c = w[c, 0, :, :]:
//
//	y[n,c,oh,ow]  = sum_{i,j} w_c[i,j] * x[n,c, oh*SH-PH+i*DH, ow*SW-PW+j*DW]
//	dx[n,c,h,w']  = sum_{i,j,oh,ow : oh*SH-PH+i*DH = h, ow*SW-PW+j*DW = w'} w_c[i,j] * gy[n,c,oh,ow]
//	dw[c,0,i,j]   = sum_{n,oh,ow} gy[n,c,oh,ow] * x[n,c, oh*SH-PH+i*DH, ow*SW-PW+j*DW]

// refPlanes runs f over the N*C planes in order.
func refPlanes(g *ConvGeom, f func(plane int)) {
	for p := 0; p < g.N*g.C; p++ {
		f(p)
	}
}

func refDepthwiseForward[T Float](y, x, w []T, g *ConvGeom) {
	oh, ow := g.OutH(), g.OutW()
	p, hw, kk := oh*ow, g.H*g.W, g.KH*g.KW
	refPlanes(g, func(pl int) {
		c := pl % g.C
		yp := y[pl*p : (pl+1)*p]
		xp := x[pl*hw : (pl+1)*hw]
		wc := w[c*kk : (c+1)*kk]
		clear(yp)
		for i := 0; i < g.KH; i++ {
			ilo, ihi := validRange(g.PadH, i*g.DilH, g.StrideH, g.H, oh)
			for j := 0; j < g.KW; j++ {
				jlo, jhi := validRange(g.PadW, j*g.DilW, g.StrideW, g.W, ow)
				if jlo >= jhi {
					continue
				}
				wv := wc[i*g.KW+j]
				for r := ilo; r < ihi; r++ {
					ih := r*g.StrideH - g.PadH + i*g.DilH
					iw := jlo*g.StrideW - g.PadW + j*g.DilW
					ys := yp[r*ow+jlo : r*ow+jhi]
					if g.StrideW == 1 {
						xs := xp[ih*g.W+iw : ih*g.W+iw+len(ys)]
						for k, v := range xs {
							ys[k] += wv * v
						}
					} else {
						xr := xp[ih*g.W : (ih+1)*g.W]
						for k := range ys {
							ys[k] += wv * xr[iw]
							iw += g.StrideW
						}
					}
				}
			}
		}
	})
}

func refDepthwiseTransposeAdd[T Float](dx, gy, w []T, g *ConvGeom) {
	oh, ow := g.OutH(), g.OutW()
	p, hw, kk := oh*ow, g.H*g.W, g.KH*g.KW
	refPlanes(g, func(pl int) {
		c := pl % g.C
		gp := gy[pl*p : (pl+1)*p]
		dp := dx[pl*hw : (pl+1)*hw]
		wc := w[c*kk : (c+1)*kk]
		for i := 0; i < g.KH; i++ {
			ilo, ihi := validRange(g.PadH, i*g.DilH, g.StrideH, g.H, oh)
			for j := 0; j < g.KW; j++ {
				jlo, jhi := validRange(g.PadW, j*g.DilW, g.StrideW, g.W, ow)
				if jlo >= jhi {
					continue
				}
				wv := wc[i*g.KW+j]
				for r := ilo; r < ihi; r++ {
					ih := r*g.StrideH - g.PadH + i*g.DilH
					iw := jlo*g.StrideW - g.PadW + j*g.DilW
					gs := gp[r*ow+jlo : r*ow+jhi]
					if g.StrideW == 1 {
						ds := dp[ih*g.W+iw : ih*g.W+iw+len(gs)]
						for k, v := range gs {
							ds[k] += wv * v
						}
					} else {
						dr := dp[ih*g.W : (ih+1)*g.W]
						for _, v := range gs {
							dr[iw] += wv * v
							iw += g.StrideW
						}
					}
				}
			}
		}
	})
}

func refDepthwiseWeightGrad[T Float](dw, x, gy []T, g *ConvGeom) {
	oh, ow := g.OutH(), g.OutW()
	p, hw, kk := oh*ow, g.H*g.W, g.KH*g.KW
	acc := make([]float64, kk)
	for c := 0; c < g.C; c++ {
		{
			clear(acc)
			for n := 0; n < g.N; n++ {
				pl := n*g.C + c
				gp := gy[pl*p : (pl+1)*p]
				xp := x[pl*hw : (pl+1)*hw]
				for i := 0; i < g.KH; i++ {
					ilo, ihi := validRange(g.PadH, i*g.DilH, g.StrideH, g.H, oh)
					for j := 0; j < g.KW; j++ {
						jlo, jhi := validRange(g.PadW, j*g.DilW, g.StrideW, g.W, ow)
						if jlo >= jhi {
							continue
						}
						var s float64
						for r := ilo; r < ihi; r++ {
							ih := r*g.StrideH - g.PadH + i*g.DilH
							iw := jlo*g.StrideW - g.PadW + j*g.DilW
							gs := gp[r*ow+jlo : r*ow+jhi]
							if g.StrideW == 1 {
								s += refDotF64(gs, xp[ih*g.W+iw:ih*g.W+iw+len(gs)])
							} else {
								xr := xp[ih*g.W : (ih+1)*g.W]
								for _, v := range gs {
									s += float64(v) * float64(xr[iw])
									iw += g.StrideW
								}
							}
						}
						acc[i*g.KW+j] += s
					}
				}
			}
			for k, v := range acc {
				dw[c*kk+k] = T(v)
			}
		}
	}
}

// refDotF64 is sum x*y in float64 with four interleaved accumulators (fixed
// order for a given length).
func refDotF64[T Float](x, y []T) float64 {
	y = y[:len(x)]
	var a0, a1, a2, a3 float64
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		p, q := x[i:i+4:i+4], y[i:i+4:i+4]
		a0 += float64(p[0]) * float64(q[0])
		a1 += float64(p[1]) * float64(q[1])
		a2 += float64(p[2]) * float64(q[2])
		a3 += float64(p[3]) * float64(q[3])
	}
	for i := n; i < len(x); i++ {
		a0 += float64(x[i]) * float64(y[i])
	}
	return (a0 + a1) + (a2 + a3)
}
