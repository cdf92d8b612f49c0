package web

import (
	"bytes"
	"context"
	"io"
	"strings"

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

// MarkdownLine renders one line of Markdown (a hint: `code`, *emphasis*)
// without the paragraph around it, to sit inside a list item.
func MarkdownLine(src string) templ.Component {
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return templ.Raw(templ.EscapeString(src))
	}
	html := strings.TrimSpace(buf.String())
	if inner, ok := strings.CutPrefix(html, "<p>"); ok && strings.Count(html, "<p>") == 1 {
		html = strings.TrimSuffix(inner, "</p>")
	}
	return templ.Raw(html)
}
