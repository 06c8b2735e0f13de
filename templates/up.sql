-- Migration {{version}} {{name}}: applied by `pgfast schema up`, in one transaction with its history row.
-- To run it after other migrations, add a comment line of the form "depends_on: <version>, <version>".
-- For statements that cannot run in a transaction (CREATE INDEX CONCURRENTLY), add "pgfast:no-transaction".
-- {{tables.users}} renders as the module schema's "schema"."users".

