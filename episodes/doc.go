// Package episodes turns a labelled image source into few-shot tasks. It
// sees data only through the small Source interface (a *datasets.Dataset
// satisfies it) and works on image indices; pixels are touched last, when a
// task is materialised into float32 NCHW buffers.
//
// # Episodes
//
// A Spec {Ways, Shots, Queries} describes an N-way K-shot task with Q query
// images per class. An Episode holds the source class behind each episode
// label (Classes[k] for label k) and explicit Support and Query lists of
// source image indices, class by class in label order:
//
//	Support[k*Shots + s]   has label k, s = 0..Shots-1
//	Query[k*Queries + q]   has label k, q = 0..Queries-1
//
// Support and query images of a class are distinct.
//
// # Determinism
//
// Episode i of a Sampler is a pure function of (seed, i): it draws from its
// own splitmix64 stream seeded by mixing seed and i (see rng.go), with no
// shared generator. The same (seed, i) gives the same episode on any
// machine, for any GOMAXPROCS, in any order of calls. Classes are drawn as a
// uniformly random ordered subset (Floyd's algorithm followed by a
// Fisher-Yates shuffle), then for each class in label order Shots+Queries
// images are drawn the same way; the first Shots go to the support set. An
// EvalSet {Seed, Count} is therefore a fixed evaluation set: its episode i
// never changes.
//
// # Splits
//
// A Split partitions classes into Train, Val and Test: seeded (SplitByCount,
// SplitByFraction: a seeded permutation of the classes cut into pieces), by
// group (SplitByGroup, SplitByGroupFraction, SplitByNamedGroups: whole
// groups such as Omniglot alphabets held back) or from a named split file
// (ReadSplitFile: JSON/YAML {train, val, test} lists of class names, or
// plain text with one test class name per line).
//
// # Rotations
//
// Rotated wraps a Source with square images and multiplies its classes by 4,
// as in MAML's Omniglot protocol:
//
//	virtual class  4*c + r   = base class c rotated by r*90 degrees, r = 0..3
//	virtual image  4*i + r   = base image i rotated by r*90 degrees
//
// rotations being counter-clockwise (numpy rot90(img, k=r)). Split base
// classes first and expand the split with RotatedClasses, so all rotations
// of a character stay on the same side.
//
// # Shifts
//
// ShiftImages is a training-time augmentation (data.shift in the experiment
// files): each image of a batch moves by an integer offset (dy, dx) drawn
// uniformly from [-m, m]^2, zero filled,
//
//	out[y][x] = in[y-dy][x-dx]  if the source pixel is inside the image, else 0,
//
// the offsets coming from a splitmix stream keyed by (seed, index), so a
// task's augmentation is fixed by the run's seed and the task's number and
// survives a resume. Evaluation episodes are never shifted.
//
// # Task streams and mixtures
//
// A Stream draws tasks (10-way in the multi-task setting) from one or
// several Components, each a support source, an optional query source
// holding other images of the same classes (train/test images), a class
// subset, an image Size and a Weight. Task i first picks a component by a
// uniform draw against the normalised cumulative weights, so components
// appear in the fixed proportions of their weights; then an episode of the
// component. Materialising resizes images to the component's Size.
//
// # Materialisation and resizing
//
// Materialize, MaterializeEpisode and Stream.Materialize fill a Task
// {X (NCHW float32), Y (int32 labels 0..N-1), N, C, H, W}, reusing its
// buffers: no allocation once the Task has held a task as large. Only the
// images of the task are loaded. Resizing is separable: area averaging when
// shrinking an axis,
//
//	out(o) = (1/s) * sum_j overlap([o*s, (o+1)*s), [j, j+1)) * in(j),  s = in/out,
//
// and bilinear interpolation at x = (o+0.5)*s - 0.5 (edges clamped) when
// enlarging.
package episodes
