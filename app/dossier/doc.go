// Package dossier holds the vocabulary of a one-stop dossier (hồ sơ TTHC):
// its lifecycle states and the actions that move it, the audit event of one
// action, the dossier code, personal ID checks and the applicant, channel and
// return-method codes of the national portal (Cổng DVCQG).
//
// # Lifecycle
//
// Transition is an explicit table, documented here in desk order. StateNone
// is the applicant at the counter before anything is recorded; a dossier that
// arrived online or by post first waits in StateSubmitted for the reception
// check.
//
//	from                 action               to
//	none                 submit               submitted            online/postal arrival (DVCQG 1)
//	none, submitted      receive_complete     received             Mẫu 01 receipt and appointment
//	none, submitted      receive_incomplete   awaiting_supplement  Mẫu 02 guidance, not yet received
//	none, submitted      refuse               refused              Mẫu 03
//	awaiting_supplement  supplement_received  received             clock restarts or shifts: catalog policy
//	awaiting_supplement  refuse               refused              never completed at the counter
//	received             assign               processing           desk forwards to the specialist
//	received             start_processing     processing           desk official handles it at once
//	received             record_result        result_ready         same-day chứng thực done on the spot
//	processing           assign               processing           re-assignment to another official
//	received, processing transfer             transferred          liên thông to a lead/other agency
//	transferred          transfer             transferred          next agency in a sequential chain
//	received, processing,
//	  transferred        request_supplement   awaiting_supplement  processing found the dossier incomplete
//	received, processing,
//	  transferred        refuse               refused              found ineligible after receipt
//	processing,
//	  transferred        request_payment      awaiting_payment     financial obligation (DVCQG 6)
//	awaiting_payment     payment_done         processing
//	processing,
//	  transferred        record_result        result_ready         decision signed (DVCQG 9)
//	result_ready         return_result        returned             in person or by post (DVCQG 10)
//	received, processing,
//	  transferred        apologize_extend     (unchanged)          Mẫu 04 apology with a new due date
//	any open state but
//	  none, submitted    handover             (unchanged)          Phiếu kiểm soát entry, paper moves
//	submitted, received,
//	  awaiting_*, processing,
//	  transferred        applicant_withdraw   withdrawn            only before a result exists (ND 118 Đ21)
//	received, awaiting_*,
//	  processing,
//	  transferred        stop                 stopped              e.g. supplement deadline missed
//
// Refused, withdrawn, stopped and returned are terminal: no action, not even
// a handover, is allowed from them. Being overdue is not a state: it is a
// property of the due date, which the apology action moves.
package dossier
