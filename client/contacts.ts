// The contact store as apps use it: every function takes a pg Pool (db/pool createPool) and returns plain
// data; writes record their consent ledger rows in the same transaction. See docs/consent-model.md.
export * from '../db/contacts/index';
