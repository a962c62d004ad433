package api

import (
	"net/url"

	"github.com/orgplane/orgplane/shared/ddb"
	"github.com/orgplane/orgplane/shared/problem"
)

// page reads limit and cursor; the cursor must have been issued for this
// scope (an org, or a user for their own lists) and this list.
func (s *Server) page(q url.Values, scope, list string) (ddb.Page, error) {
	p, err := pageOf(q)
	if err != nil {
		return ddb.Page{}, err
	}
	pg := ddb.Page{Limit: p.Limit}
	if p.Cursor != "" {
		key, err := s.Cursors.Decode(p.Cursor, scope, list)
		if err != nil {
			return ddb.Page{}, invalidCursor()
		}
		pg.After = ddb.Position(key)
	}
	return pg, nil
}

// next signs the position that follows a page, "" at the end.
func (s *Server) next(scope, list string, pos ddb.Position) string {
	if len(pos) == 0 {
		return ""
	}
	return s.Cursors.Encode(scope, list, pos)
}

func invalidCursor() error {
	return problem.New(problem.InvalidCursor, "The cursor was not issued for this list.")
}
