import { request, type PendingRestore } from './api'
import type { Settings } from './settings'

export interface User {
  id: string
  username: string
  fullName: string
  roles: string[]
  roleLabels: string[]
  mustChangePassword: boolean
  disabled: boolean
  lockedUntil?: string
}

export interface AdminInput {
  username: string
  fullName: string
  password: string
}

export const ROLE_LABELS: Record<string, string> = {
  clerk: 'Công chức tiếp nhận',
  specialist: 'Công chức chuyên môn',
  leader: 'Lãnh đạo',
  scanner: 'Nhân viên số hóa',
  admin: 'Quản trị hệ thống',
}

export interface SetupState {
  needed: boolean
  defaults?: Settings
  // The store is fresh (no account, nothing received): the first-run screen
  // may restore the old PC's backup instead of setting up.
  restoreAvailable?: boolean
  // A restore prepared from the first-run screen, applied at the next start.
  restorePending?: PendingRestore
}

export function getSetup(): Promise<SetupState> {
  return request('GET', '/api/setup')
}

// restoreAtSetup prepares, on a fresh install, the restore of the old PC's
// backup at path, opened with its recovery key (POST /api/setup/restore).
export function restoreAtSetup(path: string, recoveryKey: string, keepDevice: boolean): Promise<{ pending: PendingRestore; message: string }> {
  return request('POST', '/api/setup/restore', { path, recoveryKey, keepDevice })
}

// cancelRestoreAtSetup drops the restore prepared on the first-run screen
// before the next start applies it (DELETE /api/setup/restore).
export function cancelRestoreAtSetup(): Promise<unknown> {
  return request('DELETE', '/api/setup/restore')
}

export function setup(settings: Settings, admin: AdminInput): Promise<{ user: User; settings: Settings }> {
  const { updatedAt: _ignored, ...s } = settings
  return request('POST', '/api/setup', { settings: s, admin })
}

export function getSession(): Promise<{ user: User }> {
  return request('GET', '/api/session')
}

export function login(username: string, password: string): Promise<{ user: User }> {
  return request('POST', '/api/session', { username, password })
}

export function logout(): Promise<unknown> {
  return request('DELETE', '/api/session')
}

export function changePassword(old: string, password: string): Promise<unknown> {
  return request('PUT', '/api/session/password', { old, password })
}

export function listUsers(): Promise<{ users: User[]; roles: { role: string; label: string }[] }> {
  return request('GET', '/api/users')
}

export function createUser(u: { username: string; fullName: string; roles: string[]; password: string }): Promise<{ user: User }> {
  return request('POST', '/api/users', u)
}

export function updateUser(id: string, u: { fullName: string; roles: string[]; disabled: boolean }): Promise<{ user: User }> {
  return request('PUT', `/api/users/${encodeURIComponent(id)}`, u)
}

export function resetPassword(id: string, password: string): Promise<unknown> {
  return request('POST', `/api/users/${encodeURIComponent(id)}/password`, { password })
}

export function getRecoveryKey(): Promise<{ pending: boolean; recoveryKey?: string }> {
  return request('GET', '/api/security/recovery-key')
}

export function ackRecoveryKey(): Promise<unknown> {
  return request('POST', '/api/security/recovery-key/ack')
}

// hasRole reports whether u has any of roles.
export function hasRole(u: User | null, ...roles: string[]): boolean {
  return !!u && roles.some((r) => u.roles.includes(r))
}

// splitSetupErrors maps the setup endpoint's field keys ("settings.x",
// "admin.y") to the keys each form part uses.
export function splitSetupErrors(fields: Record<string, string>): { settings: Record<string, string>; admin: Record<string, string> } {
  const out = { settings: {} as Record<string, string>, admin: {} as Record<string, string> }
  for (const [k, v] of Object.entries(fields)) {
    if (k.startsWith('settings.')) out.settings[k.slice('settings.'.length)] = v
    else if (k.startsWith('admin.')) out.admin[k.slice('admin.'.length)] = v
  }
  return out
}
