package calendar_test

import (
	"fmt"
	"log"
	"time"

	"motcua/app/calendar"
)

func Example() {
	// The 2026 decisions as relayed by the province.
	o, err := calendar.ParseOverride([]byte(`{
		"year": 2026,
		"days_off": [{"date": "2026-08-31", "name": "Nghỉ hoán đổi dịp Quốc khánh"}],
		"working_days": [{"date": "2026-08-22", "name": "Làm bù ngày 31/8/2026"}]
	}`))
	if err != nil {
		log.Fatal(err)
	}
	cal, err := calendar.New(calendar.Config{Overrides: []calendar.Override{o}})
	if err != nil {
		log.Fatal(err)
	}
	const layout = "Mon 02/01/2006 15:04"
	received := time.Date(2026, 8, 28, 15, 30, 0, 0, cal.Location()) // Friday, after 15:00

	for _, d := range []calendar.Duration{
		{Amount: 0, Unit: calendar.SameDayCutoff},
		{Amount: 4, Unit: calendar.WorkingHours},
		{Amount: 3, Unit: calendar.WorkingDays},
		{Amount: 10, Unit: calendar.CalendarDays},
	} {
		due, err := cal.Due(received, d)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-16s → %s\n", d.Label(), due.Format(layout))
	}

	// Supplementation requested on Thursday 3/9, complete dossier back on Tuesday 8/9.
	due, _ := cal.Due(received, calendar.Duration{Amount: 3, Unit: calendar.WorkingDays})
	pause := time.Date(2026, 9, 3, 9, 0, 0, 0, cal.Location())
	resume := time.Date(2026, 9, 8, 9, 0, 0, 0, cal.Location())
	for _, p := range []calendar.SupplementPolicy{calendar.PauseAndShift, calendar.Restart} {
		r, err := cal.Reschedule(p, calendar.Duration{Amount: 3, Unit: calendar.WorkingDays}, due, pause, resume)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %s → %s\n", p, r.PreviousDue.Format(layout), r.NewDue.Format(layout))
	}
	fmt.Println("warn from", cal.WarnFrom(due).Format(layout))

	tet, _ := calendar.FromLunar(calendar.LunarDate{Year: 2026, Month: 1, Day: 1})
	fmt.Println("Tết 2026:", tet)
	// Output:
	// Trong ngày       → Thu 03/09/2026 17:00
	// 4 giờ làm việc   → Thu 03/09/2026 09:30
	// 3 ngày làm việc  → Mon 07/09/2026 15:30
	// 10 ngày          → Mon 07/09/2026 17:00
	// pause_and_shift: Mon 07/09/2026 15:30 → Thu 10/09/2026 15:30
	// restart: Mon 07/09/2026 15:30 → Fri 11/09/2026 09:00
	// warn from Fri 04/09/2026 15:30
	// Tết 2026: 2026-02-17
}
