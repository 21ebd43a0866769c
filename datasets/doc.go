// Package datasets reads the image sources that meta-learning papers use into
// one in-memory form, *Dataset: uint8 pixels, channel-major per image
// (N x C x H x W), an int32 label per image, class names and, where the
// source has them, a group per class (the alphabet of an Omniglot character).
// Image(dst, i) converts image i to float32 values pixel/255 in [0, 1].
//
// # Opening a source
//
// Open(path, opt) recognises the format from the contents; a "FORMAT:" prefix
// forces one ("idx:/data/mnist"). "default" or "embedded:omniglot" opens the
// embedded Omniglot background set (OpenDefault).
//
//	format        recognised by                                   image shape
//	omniglot-npz  zip holding images.npy                          1 x 28 x 28 (Size)
//	omniglot-zip  zip holding <alphabet>/<character>/*.png        1 x 28 x 28 (Size)
//	omniglot-dir  folder tree <alphabet>/<character>/*.png         1 x 28 x 28 (Size)
//	idx           folder with *-images-idx3-ubyte[.gz]            1 x 28 x 28
//	cifar-bin     folder with data_batch_*.bin / test_batch.bin   3 x 32 x 32
//	cifar-png     folder with cifar10_batch_K.png + cifar10_labels.js  3 x 32 x 32
//	miniimagenet  folder with train.csv/val.csv/test.csv + images/     3 x 84 x 84 (Size)
//	imagenet-npz  zip holding data.npy + labels.npy               3 x S x S
//	svhn          MAT-file v5 (.mat) with X and y                 3 x 32 x 32
//
// Options.Size resizes any source to Size x Size; Options.Subset picks the
// train/test (IDX, CIFAR) or train/val/test (mini-ImageNet) files.
//
// # Formats
//
// Omniglot .npz (NumPy savez): images.npy has descr '|b1' and shape
// (964, 20, 105, 105); its bytes are 0x00 or 0xFF, nonzero = white
// background, zero = ink. images.npy[c, s] is drawing s+1 of character id
// c+1; ids 1..964 map to 30 alphabets by contiguous ranges (omniglot.go), so
// class c is named "Alphabet/characterNN" with group "Alphabet". The original
// PNGs (zip or extracted tree) are 105 x 105 1-bit grayscale with 1 = white.
// Every Omniglot reader inverts the polarity, so ink = 255 and background = 0,
// and shrinks 105 -> Size by area averaging:
//
//	out(o) = (1/s) * sum_j overlap([o*s, (o+1)*s), [j, j+1)) * in(j),  s = 105/28 = 3.75
//
// applied separably to rows and columns (partial pixels weighted by the
// overlap). A .npy file is "\x93NUMPY", a version byte pair, a little-endian
// header length (uint16 in v1, uint32 in v2/v3) and a Python dict literal
// {'descr', 'fortran_order', 'shape'} followed by the C-order data.
//
// IDX: big-endian; 0x00 0x00 0x08 ndim, ndim uint32 sizes, then uint8 data.
// Images are N x H x W (magic 0x803), labels N (magic 0x801). gzip is
// recognised by its magic bytes 1f 8b.
//
// CIFAR-10 binary: records of 1 label byte + 3072 pixel bytes (1024 R, 1024 G,
// 1024 B, each row-major 32 x 32). The PNG sheets hold image r of batch K in
// row r of a 1024 x 1000 RGB PNG (pixel (x, y) at column y*32+x) with label
// labels[K*1000+r]; batches 0..49 are training images, batch 50 is the test
// set.
//
// mini-ImageNet: CSV rows filename,label (with a header line) naming JPEGs in
// images/; classes are the distinct labels sorted; images are resized to
// Size (default 84).
//
// Downsampled ImageNet .npz: data.npy (N, 3*S*S) uint8, each row channel-major,
// labels.npy (N,) 1-based; classes are the distinct labels in increasing order
// and are named by the original label.
//
// SVHN cropped digits (MAT-file v5): a 128-byte header whose last two bytes
// "IM"/"MI" give the byte order, then tagged data elements (8-byte padded;
// small elements pack up to 4 bytes in the tag; miCOMPRESSED elements hold a
// zlib stream of further elements). X is a 32 x 32 x 3 x N uint8 matrix in
// column-major order, so pixel (row r, column c, channel ch) of image n is
// X[r + 32*c + 1024*ch + 3072*n]; y is N x 1 and label 10 means digit 0.
//
// # Resizing
//
// Resizing is separable: area averaging (as above) when shrinking an axis,
// bilinear interpolation with half-pixel centres and clamped edges when
// enlarging it; results are rounded to the nearest byte.
//
// # Errors
//
// Every reader returns an error naming the file on truncated or corrupt input
// and never panics on it; the binary readers are fuzzed.
package datasets
