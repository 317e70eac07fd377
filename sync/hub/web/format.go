package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	lifecycle "motcua/app/dossier"
	"motcua/sync/wire"
)

// vn is the time zone every time is shown in: UTC+7, as the desk shows it.
var vn = time.FixedZone("ICT", 7*3600)

var funcs = template.FuncMap{
	"dt":          dateTime,
	"date":        dateOnly,
	"stateLabel":  stateLabel,
	"actionLabel": actionLabel,
	"size":        sizeLabel,
	"channel":     channelLabel,
	"applicant":   applicantKindLabel,
	"dict":        dict,
}

// dict builds a map from key, value pairs: arguments for a sub-template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// deref lets a formatter take a time or a pointer to one.
func deref(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil {
			return time.Time{}, false
		}
		return *t, !t.IsZero()
	}
	return time.Time{}, false
}

// dateTime is "02/03/2026 08:15" in Vietnam time, or "—".
func dateTime(v any) string { return inVN(v, "02/01/2006 15:04") }

// dateOnly is "02/03/2026" in Vietnam time, or "—".
func dateOnly(v any) string { return inVN(v, "02/01/2006") }

func inVN(v any, layout string) string {
	t, ok := deref(v)
	if !ok {
		return "—"
	}
	return t.In(vn).Format(layout)
}

func stateLabel(s string) string {
	if l := lifecycle.State(s).Label(); l != "" {
		return l
	}
	return s
}

func actionLabel(a string) string {
	if a == "" {
		return "Ghi chú xử lý"
	}
	if l := lifecycle.Action(a).Label(); l != "" {
		return l
	}
	return a
}

var (
	channelLabels = map[string]string{
		wire.ChannelInPerson: "Trực tiếp", wire.ChannelOnline: "Trực tuyến", wire.ChannelPostal: "Bưu chính",
	}
	applicantLabels = map[string]string{
		wire.ApplicantPerson: "Cá nhân", wire.ApplicantEnterprise: "Doanh nghiệp",
		wire.ApplicantStateAgency: "Cơ quan nhà nước", wire.ApplicantOrganisation: "Tổ chức",
	}
)

func channelLabel(c string) string { return labelOr(channelLabels, c) }

func applicantKindLabel(k string) string { return labelOr(applicantLabels, k) }

// labelOr is the Vietnamese label of a code, or the code itself.
func labelOr(labels map[string]string, code string) string {
	if l, ok := labels[code]; ok {
		return l
	}
	return code
}

// decimal writes f with one decimal and a Vietnamese decimal comma.
func decimal(f float64) string {
	return strings.Replace(strconv.FormatFloat(f, 'f', 1, 64), ".", ",", 1)
}

// sizeLabel is a file size people read: "820 B", "118,4 KB", "3,2 MB".
func sizeLabel(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return decimal(float64(n)/1024) + " KB"
	}
	return decimal(float64(n)/(1<<20)) + " MB"
}

// percent is "87,5 %", or "—" when there is nothing to divide.
func percent(f float64, ok bool) string {
	if !ok {
		return "—"
	}
	return decimal(f*100) + " %"
}

// ago says how long ago t was: "vừa xong", "12 phút trước", "3 giờ
// trước", "5 ngày trước".
func ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "vừa xong"
	case d < time.Hour:
		return fmt.Sprintf("%d phút trước", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d giờ trước", int(d/time.Hour))
	}
	return fmt.Sprintf("%d ngày trước", int(d/(24*time.Hour)))
}

func minutesLabel(d time.Duration) string { return fmt.Sprintf("%d phút", int(d.Minutes())) }
