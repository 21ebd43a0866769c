package cli

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// newProgressBar is the progress bar of the training commands (train,
// search, metatrain): iterations done out of max (-1 when only a wall-clock
// budget bounds the run), the description at the end of the line. The
// spinner of an unbounded bar moves only when the bar is updated: with the
// library's default timer it would keep redrawing after Exit, over whatever
// the command prints next.
func newProgressBar(w io.Writer, max int, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions(max, progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc), progressbar.OptionShowCount(), progressbar.OptionSetWidth(24),
		progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowDescriptionAtLineEnd(), progressbar.OptionSetSpinnerChangeInterval(0))
}
