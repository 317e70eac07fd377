// Package calendar is the Vietnamese working calendar of the one-stop desk:
// the lunar calendar, public holidays, office hours and the legal due dates
// of administrative procedures. Sources are summarised in
// shared/domain/regulations.md §3 (time counting) and §1.2 (supplementation).
//
// # Lunar calendar
//
// ToLunar and FromLunar compute the Vietnamese lunisolar calendar with the
// astronomical method published by Hồ Ngọc Đức (new moons and solar
// longitude after Jean Meeus), evaluated at UTC+7. That time zone is why
// Vietnamese dates differ from Chinese ones in some years (Tết 1985, 2007,
// 2030). Results are promised for MinYear–MaxYear (1900–2199). Before 1968
// northern Vietnam still used China's UTC+8 calendar, so historical dates
// (e.g. old civil-status records) can differ by a day in some years.
//
// # Holidays
//
// Labor Code 2019 Điều 112: 01/01; Tết Nguyên đán 5 days (by default the
// last day of the lunar year and mùng 1–4); Giỗ Tổ Hùng Vương 10/3 lunar;
// 30/4; 01/5; Quốc khánh 02/9 plus one adjacent day; and Ngày Văn hóa Việt
// Nam 24/11 from 2026 (Nghị quyết 28/2026/QH16, in force 01/7/2026). The
// adjacent Quốc khánh day defaults to 01/9, or 03/9 when 02/9 is a Thursday
// (bridge to the weekend) or a Monday (01/9 is a Sunday); this reproduces
// the decisions of 2021–2026. A statutory day on a weekend day gives a
// compensatory day (nghỉ bù) on the next working day.
//
// The Prime Minister fixes the concrete Tết and Quốc khánh days each year
// and may swap working days. A yearly Override (a JSON file, see
// ParseOverride) replaces a holiday's days, adds days off and makes days
// working, e.g. 2026: Tết 16–20/02, Monday 31/8 off made up on Saturday 22/8.
//
// # Working time and due dates
//
// Office hours default to 07:00–11:30 and 13:30–17:00 (8 h = one working
// day) in UTC+7; weekends are Saturday and Sunday. Due computes a due moment
// from an explicit start moment (the receipt, the postmark arrival for postal
// dossiers, or the system's timestamp for online ones):
//
//   - WorkingHours / WorkingDays: working time counted from the start, from
//     the next period start if received outside office hours.
//   - CalendarDays: Civil Code 2015 Điều 147–148: counting starts the next
//     day; a period ending on a non-working day ends with the next working
//     day; the end of a day is the close of office hours.
//   - SameDayCutoff: the 15:00 rule of the hộ tịch and chứng thực
//     catalogues: before the cutoff on a working day → 17:00 the same day;
//     otherwise → 17:00 the next working day.
//
// Reschedule applies a supplementation under either policy (pause-and-shift
// or restart) and keeps the previous and new due dates. WarnFrom gives the
// start of the "due soon" window, one working day before the due moment.
// Classify sorts a completion into trước hạn / đúng hạn / quá hạn: late
// means after the due moment, on time means on the due date and not after
// the due moment, early means an earlier date.
//
// A Calendar caches each year's table of non-working days, so a due date
// costs about a microsecond; it is safe for concurrent use.
package calendar
