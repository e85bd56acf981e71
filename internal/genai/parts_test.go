package genai

import (
	"strings"
	"testing"
)

func TestURLPartAndDataPart(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  Part
		want Part
	}{
		{"https", URLPart("https://x/a.png", ModalityImage), Part{Kind: PartURI, Modality: ModalityImage, URI: "https://x/a.png"}},
		{"no scheme", URLPart("//x/a.png", ModalityImage), Part{Kind: PartURI, Modality: ModalityImage, URI: "//x/a.png"}},
		{"empty", URLPart("", ModalityImage), Part{}},
		{"data base64", URLPart("data:image/png;base64,iVBO", ModalityDocument), Part{Kind: PartBlob, Modality: ModalityImage, MimeType: "image/png", Data: "iVBO"}},
		{"data params", URLPart("DATA:audio/wav;rate=8000;base64,UklG", ModalityImage), Part{Kind: PartBlob, Modality: ModalityAudio, MimeType: "audio/wav", Data: "UklG"}},
		{"data text", URLPart("data:text/plain,a%20b", ModalityImage),
			Part{Kind: PartBlob, Modality: ModalityDocument, MimeType: "text/plain", Text: "a b", URI: "data:text/plain,a%20b"}},
		{"data no mime", URLPart("data:;base64,QQ==", ModalityImage), Part{Kind: PartBlob, Modality: ModalityImage, Data: "QQ=="}},
		{"data bad escape", URLPart("data:,100%", ModalityDocument), Part{Kind: PartBlob, Modality: ModalityDocument, Text: "100%", URI: "data:,100%"}},
		{"not a data URL", URLPart("data:nocomma", ModalityImage), Part{Kind: PartURI, Modality: ModalityImage, URI: "data:nocomma"}},
		{"file data base64", DataPart("JVBERi0=", ModalityDocument), Part{Kind: PartBlob, Modality: ModalityDocument, Data: "JVBERi0="}},
		{"file data URL", DataPart("https://x/a.pdf", ModalityDocument), Part{Kind: PartURI, Modality: ModalityDocument, URI: "https://x/a.pdf"}},
		{"file data empty", DataPart("", ModalityDocument), Part{}},
	} {
		if !samePart(tc.got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, tc.got, tc.want)
		}
	}
	for mime, want := range map[string]string{"image/png": ModalityImage, "Audio/mpeg": ModalityAudio, "video/mp4": ModalityVideo,
		"application/pdf": ModalityDocument, "text/plain": ModalityDocument, "": ""} {
		if got := ModalityOf(mime); got != want {
			t.Errorf("ModalityOf(%q) = %q, want %q", mime, got, want)
		}
	}
}

func samePart(a, b Part) bool {
	return a.Kind == b.Kind && a.Text == b.Text && a.Modality == b.Modality && a.MimeType == b.MimeType &&
		a.URI == b.URI && a.FileID == b.FileID && a.Data == b.Data && string(a.Bytes) == string(b.Bytes)
}

// FuzzURLPart: any string gives a part (or none, for "") that holds only
// what the string held, with a modality.
func FuzzURLPart(f *testing.F) {
	for _, s := range []string{"https://x/a.png", "data:image/png;base64,iVBO", "data:text/plain,a%20b", "data:,", "data:;;;base64,", "JVBERi0=", "data:%zz,%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range []Part{URLPart(s, ModalityImage), DataPart(s, ModalityDocument)} {
			if s == "" {
				if p.Kind != "" {
					t.Fatalf("%q: part %+v", s, p)
				}
				continue
			}
			if p.Kind == "" || p.Modality == "" {
				t.Fatalf("%q: part %+v", s, p)
			}
			for _, v := range []string{p.URI, p.Data, p.MimeType} {
				if !strings.Contains(s, v) {
					t.Fatalf("%q: %q is not from the input (%+v)", s, v, p)
				}
			}
		}
	})
}
