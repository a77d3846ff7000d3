-- Kept invoice renderings (PDF): one per invoice and key (template version and the
-- invoice's state), written once and served byte for byte again.
CREATE TABLE invoice_documents (
    invoice_id  TEXT NOT NULL REFERENCES invoices (id),
    key         TEXT NOT NULL,
    pdf         BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (invoice_id, key)
);
