package web

import (
	"bytes"
	"context"
	"io"

	"github.com/a-h/templ"
	"github.com/yuin/goldmark"
)

// md renders CommonMark. Raw HTML in notes is not passed through (that is
// goldmark's default), so a course folder's notes cannot inject script.
var md = goldmark.New()

// Markdown renders teaching notes to HTML.
func Markdown(src string) templ.Component {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		buf.Reset()
		buf.WriteString("<pre>")
		buf.WriteString(templ.EscapeString(src))
		buf.WriteString("</pre>")
	}
	html := buf.String()
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, html)
		return err
	})
}
