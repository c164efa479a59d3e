package dashboard

import "embed"

// webFS holds the page and its assets, written by hand: no front-end
// library, no build step, nothing loaded from the network.
//
//go:embed web
var webFS embed.FS
