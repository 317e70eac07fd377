package catalog

import (
	"slices"
	"testing"

	"motcua/app/dossier"
)

// wantDefault lists every procedure §7 of the regulations confirms, with the
// exact name and field the embedded catalog must carry.
var wantDefault = []struct{ code, name, field string }{
	{"1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch"},
	{"1.000894", "Thủ tục đăng ký kết hôn", "Hộ tịch"},
	{"1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch"},
	{"2.000635", "Cấp bản sao Trích lục hộ tịch, bản sao Giấy khai sinh", "Hộ tịch"},
	{"1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân", "Hộ tịch"},
	{"1.004837", "Thủ tục đăng ký giám hộ", "Hộ tịch"},
	{"1.004845", "Thủ tục đăng ký chấm dứt giám hộ", "Hộ tịch"},
	{"1.001022", "Thủ tục đăng ký nhận cha, mẹ, con", "Hộ tịch"},
	{"1.000689", "Thủ tục đăng ký khai sinh kết hợp đăng ký nhận cha, mẹ, con", "Hộ tịch"},
	{"1.004859", "Thủ tục thay đổi, cải chính, bổ sung thông tin hộ tịch, xác định lại dân tộc", "Hộ tịch"},
	{"1.004884", "Thủ tục đăng ký lại khai sinh", "Hộ tịch"},
	{"1.004772", "Thủ tục đăng ký khai sinh cho người đã có hồ sơ, giấy tờ cá nhân", "Hộ tịch"},
	{"1.004746", "Thủ tục đăng ký lại kết hôn", "Hộ tịch"},
	{"1.005461", "Thủ tục đăng ký lại khai tử", "Hộ tịch"},
	{"2.002516", "Thủ tục xác nhận thông tin hộ tịch", "Hộ tịch"},
	{"1.003583", "Thủ tục đăng ký khai sinh lưu động", "Hộ tịch"},
	{"1.000593", "Thủ tục đăng ký kết hôn lưu động", "Hộ tịch"},
	{"1.000419", "Thủ tục đăng ký khai tử lưu động", "Hộ tịch"},
	{"2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có thẩm quyền của Việt Nam; cơ quan, tổ chức có thẩm quyền của nước ngoài; cơ quan, tổ chức có thẩm quyền của Việt Nam liên kết với cơ quan, tổ chức có thẩm quyền của nước ngoài cấp hoặc chứng nhận", "Chứng thực"},
	{"2.000884", "Chứng thực chữ ký trong các giấy tờ, văn bản (áp dụng cho cả trường hợp chứng thực điểm chỉ và trường hợp người yêu cầu chứng thực không ký, không điểm chỉ được)", "Chứng thực"},
	{"2.000992", "Chứng thực chữ ký người dịch mà người dịch là cộng tác viên dịch thuật của Ủy ban nhân dân cấp xã, tổ chức hành nghề công chứng", "Chứng thực"},
	{"2.001035", "Chứng thực giao dịch liên quan đến tài sản là động sản, quyền sử dụng đất, nhà ở", "Chứng thực"},
	{"2.000913", "Chứng thực việc sửa đổi, bổ sung, hủy bỏ giao dịch", "Chứng thực"},
	{"2.000927", "Sửa lỗi sai sót trong giao dịch", "Chứng thực"},
	{"2.001019", "Chứng thực di chúc", "Chứng thực"},
	{"2.001016", "Chứng thực văn bản từ chối nhận di sản", "Chứng thực"},
	{"2.001406", "Chứng thực văn bản phân chia di sản mà di sản là động sản, quyền sử dụng đất, nhà ở", "Chứng thực"},
	{"2.000942", "Cấp bản sao có chứng thực từ bản chính giao dịch đã được chứng thực", "Chứng thực"},
	{"2.000908", "Cấp bản sao từ sổ gốc", "Chứng thực"},
	{"1.004222", "Đăng ký thường trú", "Cư trú"},
	{"3.000722", "Liên thông điện tử: đăng ký khai sinh, đăng ký thường trú, cấp thẻ bảo hiểm y tế, cấp thẻ căn cước cho trẻ em dưới 6 tuổi", "Liên thông"},
}

func TestDefaultProcedures(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatalf("Default() = %v", err)
	}
	if c.Version != 1 || c.UpdatedAt.IsZero() || c.Source == "" {
		t.Errorf("header: version %d, updated %v, source %q", c.Version, c.UpdatedAt, c.Source)
	}
	if len(c.Procedures) != len(wantDefault) {
		t.Errorf("%d procedures, want %d", len(c.Procedures), len(wantDefault))
	}
	for _, w := range wantDefault {
		p, err := c.Lookup(w.code)
		if err != nil {
			t.Errorf("Lookup(%s) = %v", w.code, err)
			continue
		}
		if p.Name != w.name || p.Field != w.field || !p.Active || p.Level != LevelCommune {
			t.Errorf("%s = %q / %q / active %v / %q, want %q / %q / active / commune",
				w.code, p.Name, p.Field, p.Active, p.Level, w.name, w.field)
		}
		if len(p.Results) == 0 {
			t.Errorf("%s has no result papers", w.code)
		}
	}
}

func TestDefaultDetails(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	get := func(code string) Procedure {
		t.Helper()
		p, err := c.Lookup(code)
		if err != nil {
			t.Fatalf("Lookup(%s) = %v", code, err)
		}
		return p
	}

	times := []struct {
		code     string
		want     Duration
		extended *Duration
	}{
		{"1.001193", Duration{0, SameDayCutoff}, nil},
		{"1.000894", Duration{0, SameDayCutoff}, &Duration{5, WorkingDays}},
		{"2.000815", Duration{0, SameDayCutoff}, &Duration{2, WorkingDays}},
		{"2.001035", Duration{2, WorkingDays}, nil},
		{"1.004222", Duration{7, WorkingDays}, nil},
		{"3.000722", Duration{3, WorkingDays}, &Duration{5, WorkingDays}},
	}
	for _, tt := range times {
		pt := get(tt.code).ProcessingTime
		if pt.Duration != tt.want {
			t.Errorf("%s time = %+v, want %+v", tt.code, pt.Duration, tt.want)
		}
		switch {
		case tt.extended == nil && pt.Extended != nil:
			t.Errorf("%s has extension %+v, want none", tt.code, pt.Extended)
		case tt.extended != nil && (pt.Extended == nil || pt.Extended.Duration != *tt.extended):
			t.Errorf("%s extension = %+v, want %+v", tt.code, pt.Extended, tt.extended)
		}
	}

	// The main desk procedures document their papers.
	for _, code := range []string{"1.001193", "1.000894", "1.000656", "2.000815", "2.000884", "2.001035"} {
		p := get(code)
		required := 0
		for _, comp := range p.Components {
			if comp.Required {
				required++
			}
		}
		if required == 0 {
			t.Errorf("%s has no required component", code)
		}
	}

	if p := get("1.004222"); p.Competence == "" {
		t.Error("1.004222 must say it is Công an xã's competence")
	}
	if p := get("3.000722"); !slices.Equal(p.Channels, []dossier.Channel{dossier.ChannelOnline}) ||
		p.SupplementWindow == nil || *p.SupplementWindow != (Duration{7, WorkingDays}) {
		t.Errorf("3.000722: channels %q, supplement window %+v", p.Channels, p.SupplementWindow)
	}

	fees := []struct {
		code          string
		units, copies int
		want          int64
	}{
		{"2.000815", 1, 1, 2000},
		{"2.000815", 5, 2, 14000},
		{"2.000815", 400, 1, 200000},
		{"2.000942", 3, 1, 5000},
		{"2.000884", 1, 1, 10000},
		{"2.001035", 1, 1, 50000},
		{"2.000908", 4, 1, 0},
	}
	for _, tt := range fees {
		p := get(tt.code)
		if len(p.Fees) != 1 {
			t.Errorf("%s has %d fees, want 1", tt.code, len(p.Fees))
			continue
		}
		got, err := p.Fees[0].Compute(tt.units, tt.copies)
		if err != nil || got != tt.want {
			t.Errorf("%s fee(%d, %d) = %d, %v; want %d", tt.code, tt.units, tt.copies, got, err, tt.want)
		}
	}

	// Every value chosen without a source says so.
	for _, p := range c.Procedures {
		if p.ProcessingTime.Provisional && p.ProcessingTime.Note == "" {
			t.Errorf("%s: provisional time without note", p.Code)
		}
		for _, f := range p.Fees {
			if f.Provisional && f.Note == "" {
				t.Errorf("%s: provisional fee %q without note", p.Code, f.Name)
			}
		}
	}
}

func TestDefaultIsFresh(t *testing.T) {
	a, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	a.Procedures[0].Name = "changed"
	a.Procedures[0].Results[0] = "changed"
	b, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if b.Procedures[0].Name == "changed" || b.Procedures[0].Results[0] == "changed" {
		t.Error("Default shares data between calls")
	}
}
