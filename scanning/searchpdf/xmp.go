package searchpdf

import (
	"bytes"
	"encoding/xml"
	"fmt"

	"golang.org/x/text/unicode/norm"
)

// xmp is the metadata packet. pdfaid:part 2, conformance B claims PDF/A-2b;
// every field also in the information dictionary has the same value there.
func xmp(o Options) []byte {
	esc := func(s string) string {
		var b bytes.Buffer
		_ = xml.EscapeText(&b, []byte(norm.NFC.String(s)))
		return b.String()
	}
	date := o.Created.Format("2006-01-02T15:04:05-07:00")
	var b bytes.Buffer
	b.WriteString("<?xpacket begin=\"\xef\xbb\xbf\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n")
	b.WriteString(`<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">` + "\n")
	b.WriteString(`<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>2</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance></rdf:Description>` + "\n")
	b.WriteString(`<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:format>application/pdf</dc:format>`)
	if o.Title != "" {
		fmt.Fprintf(&b, `<dc:title><rdf:Alt><rdf:li xml:lang="x-default">%s</rdf:li></rdf:Alt></dc:title>`, esc(o.Title))
	}
	if o.Author != "" {
		fmt.Fprintf(&b, `<dc:creator><rdf:Seq><rdf:li>%s</rdf:li></rdf:Seq></dc:creator>`, esc(o.Author))
	}
	if o.Subject != "" {
		fmt.Fprintf(&b, `<dc:description><rdf:Alt><rdf:li xml:lang="x-default">%s</rdf:li></rdf:Alt></dc:description>`, esc(o.Subject))
	}
	fmt.Fprintf(&b, `<dc:language><rdf:Bag><rdf:li>%s</rdf:li></rdf:Bag></dc:language>`, esc(o.Lang))
	b.WriteString("</rdf:Description>\n")
	fmt.Fprintf(&b, `<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:CreateDate>%s</xmp:CreateDate><xmp:ModifyDate>%s</xmp:ModifyDate>`, date, date)
	if o.Creator != "" {
		fmt.Fprintf(&b, `<xmp:CreatorTool>%s</xmp:CreatorTool>`, esc(o.Creator))
	}
	b.WriteString("</rdf:Description>\n")
	fmt.Fprintf(&b, `<rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/"><pdf:Producer>%s</pdf:Producer>`, esc(o.Producer))
	if o.Keywords != "" {
		fmt.Fprintf(&b, `<pdf:Keywords>%s</pdf:Keywords>`, esc(o.Keywords))
	}
	b.WriteString("</rdf:Description>\n</rdf:RDF></x:xmpmeta>\n")
	// Padding lets a later tool edit the packet in place.
	b.Write(bytes.Repeat([]byte(" "), 512))
	b.WriteString("\n<?xpacket end=\"w\"?>")
	return b.Bytes()
}
