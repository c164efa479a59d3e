package input

// Limits bound what one run reads from untrusted files.
type Limits struct {
	// MaxFileSize is the largest file read, in bytes.
	MaxFileSize int64
	// MaxAliasNodes is how many nodes YAML aliases may add to one file
	// when expanded (a "billion laughs" adds billions from a few lines).
	MaxAliasNodes int
}

// The default limits: far above any real manifest, far below what takes a
// machine down.
const (
	DefaultMaxFileSize   = 32 << 20
	DefaultMaxAliasNodes = 1_000_000
)

// DefaultLimits returns the limits used when none are given.
func DefaultLimits() Limits {
	return Limits{MaxFileSize: DefaultMaxFileSize, MaxAliasNodes: DefaultMaxAliasNodes}
}

// orDefault fills zero fields with the defaults.
func (l Limits) orDefault() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxAliasNodes <= 0 {
		l.MaxAliasNodes = DefaultMaxAliasNodes
	}
	return l
}
