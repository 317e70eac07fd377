package catalog

import "testing"

func TestDurationLabel(t *testing.T) {
	cases := []struct {
		d      Duration
		onForm bool
		want   string
	}{
		{Duration{3, WorkingDays}, false, "3 ngày làm việc"},
		{Duration{3, WorkingDays}, true, "03 ngày làm việc"},
		{Duration{4, WorkingHours}, false, "4 giờ làm việc"},
		{Duration{15, CalendarDays}, true, "15 ngày"},
		{Duration{0, SameDayCutoff}, false, "Trong ngày (sau 15 giờ: ngày làm việc tiếp theo)"},
		{Duration{0, SameDayCutoff}, true, "Trong ngày (tiếp nhận sau 15 giờ thì trả trong ngày làm việc tiếp theo)"},
		{Duration{1, "weeks"}, false, ""},
	}
	for _, c := range cases {
		if got := c.d.Label(c.onForm); got != c.want {
			t.Errorf("%+v onForm=%v: %q, want %q", c.d, c.onForm, got, c.want)
		}
	}
}
