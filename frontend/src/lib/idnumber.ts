// Client-side check of a 12-digit personal ID (số định danh cá nhân / CCCD).
// It only mirrors the shape rule for instant feedback; the server is the
// authority (province code, century digit, birth year) and answers with the
// same field key.

export const ID_LENGTH = 12

// idNumberError returns a Vietnamese message, or "" when s looks like a
// personal ID. Spaces typed for readability are ignored.
export function idNumberError(s: string, required = true): string {
  const v = s.replace(/\s+/g, '')
  if (v === '') return required ? 'Số định danh cá nhân không được để trống.' : ''
  if (!/^\d+$/.test(v)) return 'Số định danh cá nhân chỉ gồm chữ số.'
  if (v.length !== ID_LENGTH) return `Số định danh cá nhân phải có đủ 12 chữ số (đang có ${v.length}).`
  return ''
}

// cleanIdNumber removes the spaces a clerk may type between digit groups.
export function cleanIdNumber(s: string): string {
  return s.replace(/\s+/g, '')
}
