DROP TABLE invoice_documents;
