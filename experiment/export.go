package experiment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/metabench/metabench/config"
	"github.com/metabench/metabench/datasets"
	"github.com/metabench/metabench/episodes"
	"github.com/metabench/metabench/internal/atomicfile"
	"github.com/metabench/metabench/maml"
	"github.com/metabench/metabench/nn"
)

// ExportFormat is the layout version of an Export's archive.
const ExportFormat = 1

// exportChecks is how many training classes lend their first image to the
// rendered check images of an Export.
const exportChecks = 8

// Export is the data of an experiment as an outside implementation (the
// PyTorch reference, scripts/maml_reference.py) needs it to meta-train on
// exactly metabench's training classes and images and to test on exactly its
// fixed test episodes. Image indices are indices of base images (rows of
// Images); a rotation code r means the image rotated by r*90 degrees
// counter-clockwise (numpy.rot90(img, k=r) over the last two axes), and
// the float value of a pixel p is p/255 (datasets.Dataset.Image).
type Export struct {
	// Images holds N base images of C x H x W bytes, channel-major, as
	// metabench feeds them (decoded, inverted and resized by the reader).
	Images     []uint8
	N, C, H, W int
	// Labels is the base class of each image.
	Labels []int64
	// TrainClasses are the classes training tasks are drawn from: 4*c+r
	// (base class c rotated by r) when Protocol.Rotations, else c.
	TrainClasses []int64
	// The test episodes, E rows each: Support [E, EvalWays*EvalShots] and
	// Query [E, EvalWays*EvalQueries] base image indices with their
	// rotation codes, class by class in label order (support[e, j] has
	// label j / EvalShots, query[e, j] label j / EvalQueries), and Classes
	// [E, EvalWays] the (virtual, 4*c+r with eval rotations) class behind
	// each label.
	Support, Query       []int64
	SupportRot, QueryRot []uint8
	Classes              []int64
	// CheckIndex are virtual training images (4*i+r with rotations, else i)
	// and CheckImages [len(CheckIndex), C, H, W] those images exactly as
	// metabench's training source renders them (times 255): a reader checks
	// its rotation and pixel conventions against them.
	CheckIndex  []int64
	CheckImages []uint8
	// Params, when set (AddParams), are the parameters of a metabench
	// checkpoint in its layout (fc.w is [features, ways]), archived as
	// "param.NAME" float32 arrays.
	Params   []datasets.NpyArray
	Protocol ExportProtocol
}

// ExportProtocol is what an outside implementation must reproduce: the
// experiment's episode protocol, model, inner and outer loop settings, and
// how the arrays are laid out. Settings that the reference may not
// implement (data.shift, zero_head, ...) are carried so that it can refuse.
type ExportProtocol struct {
	Format               int     `json:"format"`
	Experiment           string  `json:"experiment,omitempty"` // the experiment file (set by the caller)
	Method               string  `json:"method"`
	Model                string  `json:"model"`
	Filters              int     `json:"filters"`
	Image                [3]int  `json:"image"` // C, H, W
	Ways                 int     `json:"ways"`
	Shots                int     `json:"shots"`
	Queries              int     `json:"queries"`
	EvalWays             int     `json:"eval_ways"`
	EvalShots            int     `json:"eval_shots"`
	EvalQueries          int     `json:"eval_queries"`
	InnerLR              float64 `json:"inner_lr"`
	InnerSteps           int     `json:"inner_steps"`
	TestSteps            int     `json:"test_steps"`
	MetaBatch            int     `json:"meta_batch"`
	MetaLR               float64 `json:"meta_lr"`
	MetaLRFinal          float64 `json:"meta_lr_final"`
	MetaLRSchedule       string  `json:"meta_lr_schedule"`
	Clip                 float64 `json:"clip"`
	Iterations           int     `json:"iterations"`
	Seed                 int64   `json:"seed"`
	FirstOrderIterations int     `json:"first_order_iterations"`
	ZeroHead             bool    `json:"zero_head"`
	Shift                int     `json:"shift"`
	Rotations            bool    `json:"rotations"`
	EvalRotations        bool    `json:"eval_rotations"`
	EvalSeed             int64   `json:"eval_seed"`
	EvalEpisodes         int     `json:"eval_episodes"`
	BatchNorm            string  `json:"batch_norm"`
	BNEps                float64 `json:"bn_eps"`
	Init                 string  `json:"init"`
	Split                string  `json:"split"`
	TrainClasses         int     `json:"train_classes"`
	// TestImageOffset is the first image of a separate test source
	// (data.test_path), appended after the training images; 0 when the
	// test classes are classes of the training source.
	TestImageOffset int `json:"test_image_offset"`
	// Params names the archived checkpoint parameters, in order
	// (param.NAME), and ParamsIter the iterations behind them.
	Params     []string `json:"params,omitempty"`
	ParamsIter int      `json:"params_iter,omitempty"`
	Layout     string   `json:"layout"`
	ConfigYAML string   `json:"config_yaml"`
}

// exportLayout describes the archive's arrays for a reader.
const exportLayout = "images uint8 [N,C,H,W] (float value = pixel/255); labels int64 [N] base class; " +
	"train_classes int64 (4*c+r: base class c rotated r*90 degrees counter-clockwise, numpy.rot90(img, k=r), when rotations, else c); " +
	"test_support/test_query int64 [E, ways*shots] / [E, ways*queries] base image indices, class by class in label order " +
	"(support[e,j] has label j//eval_shots, query[e,j] label j//eval_queries), test_support_rot/test_query_rot uint8 rotation codes; " +
	"test_classes int64 [E, eval_ways]; check_index int64 virtual training images (4*i+r with rotations, else i) and " +
	"check_images uint8 those images as metabench renders them; protocol uint8: this JSON"

// ExportData opens the data of cfg and returns its export: the training
// images and classes and the fixed test episodes of the experiment's test
// sampler (eval.seed, eval.episodes), as Train and Eval use them.
func ExportData(cfg *config.Config) (*Export, error) {
	if err := exportable(cfg); err != nil {
		return nil, err
	}
	data, err := openExperimentData(cfg)
	if err != nil {
		return nil, err
	}
	return exportOf(cfg, data)
}

// exportOf is ExportData on data already opened.
func exportOf(cfg *config.Config, data *expData) (*Export, error) {
	if err := exportable(cfg); err != nil {
		return nil, err
	}
	_, _, testS, err := data.samplers(cfg)
	if err != nil {
		return nil, err
	}
	yml, err := cfg.YAML()
	if err != nil {
		return nil, err
	}
	x := &Export{}
	offset := x.addImages(data)
	for _, c := range data.trainClasses {
		x.TrainClasses = append(x.TrainClasses, int64(c))
	}
	x.addEpisodes(testS, cfg.Eval.Episodes, offset)
	x.addChecks(data.train, data.trainClasses)
	x.Protocol = exportProtocol(cfg, data, offset, string(yml))
	return x, nil
}

// exportable refuses a tuning run (eval.episodes 0): an export holds the
// fixed test episodes, and such a run has none.
func exportable(cfg *config.Config) error {
	if cfg.Eval.Episodes < 1 {
		return errors.New("eval.episodes: 0 (a tuning run) has no test episodes to export; set eval.episodes (--set eval.episodes=N)")
	}
	return nil
}

// addImages takes the training source's images and, for a separate test
// source, appends its images with their classes after the training ones.
// It returns the index of the first test image (0 without a test source).
func (x *Export) addImages(data *expData) (offset int) {
	ds := data.ds
	x.C, x.H, x.W = ds.ImageShape()
	x.Images, x.N = ds.Pixels, ds.Len()
	for _, l := range ds.Labels {
		x.Labels = append(x.Labels, int64(l))
	}
	if data.testDS == ds {
		return 0
	}
	offset = x.N
	x.Images = append(append([]uint8(nil), ds.Pixels...), data.testDS.Pixels...)
	for _, l := range data.testDS.Labels {
		x.Labels = append(x.Labels, int64(ds.NumClasses())+int64(l))
	}
	x.N += data.testDS.Len()
	return offset
}

// addEpisodes adds episodes 0..n-1 of the test sampler, its virtual image
// indices split into base indices (shifted by offset) and rotation codes.
func (x *Export) addEpisodes(s *episodes.Sampler, n, offset int) {
	_, rotated := s.Source().(*episodes.Rotated)
	split := func(idx []int, base *[]int64, rot *[]uint8) {
		for _, v := range idx {
			b, r := v, 0
			if rotated {
				b, r = v/4, v%4
			}
			*base = append(*base, int64(b+offset))
			*rot = append(*rot, uint8(r))
		}
	}
	var ep episodes.Episode
	for i := 0; i < n; i++ {
		s.EpisodeInto(&ep, i)
		split(ep.Support, &x.Support, &x.SupportRot)
		split(ep.Query, &x.Query, &x.QueryRot)
		for _, c := range ep.Classes {
			x.Classes = append(x.Classes, int64(c))
		}
	}
}

// addChecks renders the first image of each of the first training classes
// as the training source does (rotations included), back in bytes.
func (x *Export) addChecks(src episodes.Source, classes []int) {
	sz := x.C * x.H * x.W
	img := make([]float32, sz)
	for _, c := range classes[:min(exportChecks, len(classes))] {
		v := src.ClassIndices(c)[0]
		src.Image(img, v)
		x.CheckIndex = append(x.CheckIndex, int64(v))
		for _, f := range img {
			x.CheckImages = append(x.CheckImages, uint8(math.Round(float64(f)*255)))
		}
	}
}

// exportProtocol fills the protocol of an export of cfg.
func exportProtocol(cfg *config.Config, data *expData, offset int, yml string) ExportProtocol {
	return ExportProtocol{
		Format: ExportFormat, Method: cfg.Method, Model: cfg.Model.Name, Filters: cfg.Model.Filters,
		Image: [3]int{data.C, data.H, data.H}, Ways: cfg.Ways, Shots: cfg.Shots, Queries: cfg.Queries,
		EvalWays: cfg.EvalWays(), EvalShots: cfg.EvalShots(), EvalQueries: cfg.Eval.Queries,
		InnerLR: cfg.InnerLR, InnerSteps: cfg.InnerSteps, TestSteps: cfg.TestSteps,
		MetaBatch: cfg.MetaBatch, MetaLR: cfg.MetaLR, MetaLRFinal: cfg.MetaLRFinal, MetaLRSchedule: cfg.MetaLRSchedule,
		Clip: cfg.Clip, Iterations: cfg.Iterations, Seed: cfg.Seed, FirstOrderIterations: cfg.FirstOrderIterations,
		ZeroHead: cfg.ZeroHead, Shift: cfg.Data.Shift, Rotations: cfg.Data.Rotations, EvalRotations: cfg.Data.EvalRotations,
		EvalSeed: cfg.Eval.Seed, EvalEpisodes: cfg.Eval.Episodes,
		BatchNorm: "transductive: batch statistics of the batch at hand (support set, query set) at training and test time, biased variance, affine; no running statistics",
		BNEps:     nn.BNEps, Init: "pytorch-default: conv and linear weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)), BN gamma 1, beta 0",
		Split: data.split, TrainClasses: len(data.trainClasses), TestImageOffset: offset,
		Layout: exportLayout, ConfigYAML: yml,
	}
}

// AddParams adds the parameters of a checkpoint of the experiment's model
// (so that a reference can start from, or evaluate, exactly metabench's
// parameters).
func (x *Export) AddParams(ck *maml.Checkpoint) error {
	p := x.Protocol
	want := nn.NewConv4[float32](p.Image[0], p.Image[1], p.Filters, p.Ways).Name()
	if p.Model != "conv4" || ck.Model != want || ck.Ways != p.Ways || ck.ImageC != p.Image[0] || ck.ImageSize != p.Image[1] {
		return fmt.Errorf("checkpoint of a %s with %d ways on %dx%d images, the experiment has %s with %d ways on %dx%d images",
			ck.Model, ck.Ways, ck.ImageC, ck.ImageSize, want, p.Ways, p.Image[0], p.Image[1])
	}
	for i, name := range ck.ParamNames {
		x.Params = append(x.Params, datasets.Float32Array("param."+name, ck.Params[i], ck.Shapes[i]...))
		x.Protocol.Params = append(x.Protocol.Params, name)
	}
	x.Protocol.ParamsIter = ck.Iter
	return nil
}

// Arrays returns the export as the named arrays of its .npz archive.
func (x *Export) Arrays() ([]datasets.NpyArray, error) {
	proto, err := json.Marshal(x.Protocol)
	if err != nil {
		return nil, fmt.Errorf("export protocol: %w", err)
	}
	e := len(x.Classes) / max(x.Protocol.EvalWays, 1)
	perS, perQ := x.Protocol.EvalWays*x.Protocol.EvalShots, x.Protocol.EvalWays*x.Protocol.EvalQueries
	return append([]datasets.NpyArray{
		datasets.Uint8Array("images", x.Images, x.N, x.C, x.H, x.W),
		datasets.Int64Array("labels", x.Labels, x.N),
		datasets.Int64Array("train_classes", x.TrainClasses, len(x.TrainClasses)),
		datasets.Int64Array("test_support", x.Support, e, perS),
		datasets.Uint8Array("test_support_rot", x.SupportRot, e, perS),
		datasets.Int64Array("test_query", x.Query, e, perQ),
		datasets.Uint8Array("test_query_rot", x.QueryRot, e, perQ),
		datasets.Int64Array("test_classes", x.Classes, e, x.Protocol.EvalWays),
		datasets.Int64Array("check_index", x.CheckIndex, len(x.CheckIndex)),
		datasets.Uint8Array("check_images", x.CheckImages, len(x.CheckIndex), x.C, x.H, x.W),
		datasets.Uint8Array("protocol", proto, len(proto)),
	}, x.Params...), nil
}

// WriteNpz writes the export as a NumPy .npz archive to path atomically
// (a temporary file in the same folder, renamed over path).
func (x *Export) WriteNpz(path string) error {
	arrays, err := x.Arrays()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := datasets.WriteNpz(&buf, arrays); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return atomicfile.Write(path, buf.Bytes())
}
