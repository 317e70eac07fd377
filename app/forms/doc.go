// Package forms prints the standard forms of the one-stop desk (Bộ phận Một
// cửa / Trung tâm Phục vụ hành chính công cấp xã) as PDF, and the dossier
// register also as XLSX.
//
// Form numbering and titles come from a Set: Set03_2025 (Thông tư
// 03/2025/TT-VPCP, Phụ lục I, mẫu 01–07) or Set01_2018 (Thông tư
// 01/2018/TT-VPCP, mẫu 01–06). One renderer per Kind serves every set that
// has that kind; asking a set for a form it lacks gives an *UnknownFormError.
//
// Every form about a dossier carries, on page 1, a QR code top-left (payload
// described at QRPayload, read back with ParseQRPayload) and a Code128
// barcode of the bare dossier code top-right for keyboard-wedge readers.
//
// The input structs are plain data owned by this package; callers map their
// domain types onto them. Text is printed in NFC with an embedded Liberation
// Serif face (fonts/OFL.txt), so output does not depend on installed fonts.
package forms
