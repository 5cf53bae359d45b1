DROP TABLE reconciliation_differences, reconciliations, payouts, statement_lines, statements,
    payout_holds, payout_accounts, commission_rates, ledger_postings, ledger_entries,
    ledger_accounts;
DROP FUNCTION ledger_entry_balanced, ledger_posting_moves_balance, ledger_immutable;
