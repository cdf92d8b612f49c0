package explore

import (
	"context"

	"interleave/sandbox/engine"
)

// ExploreKeeping is Explore with dfs's work items limited to keepFrames
// choices, so that tests reach the search that restarts from the root.
func ExploreKeeping(ctx context.Context, req engine.Request, opts Options, keepFrames int) (*Report, error) {
	return explore(ctx, req, opts, nil, keepFrames)
}
