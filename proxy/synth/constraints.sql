-- Keys, foreign keys and indexes of the Palata tables, applied after the data is loaded.
-- Every foreign-key column and every region column is indexed (row filters use both).

ALTER TABLE public.regions                 ADD PRIMARY KEY (id), ADD UNIQUE (name);
ALTER TABLE public.employees               ADD PRIMARY KEY (id), ADD UNIQUE (iin);
ALTER TABLE public.counterparties          ADD PRIMARY KEY (id), ADD UNIQUE (bin);
ALTER TABLE public.counterparty_contacts   ADD PRIMARY KEY (id), ADD UNIQUE (iin);
ALTER TABLE public.employers               ADD PRIMARY KEY (id), ADD UNIQUE (bin);
ALTER TABLE public.debtors                 ADD PRIMARY KEY (id), ADD UNIQUE (iin);
ALTER TABLE public.relatives               ADD PRIMARY KEY (id), ADD UNIQUE (iin);
ALTER TABLE public.employments             ADD PRIMARY KEY (id);
ALTER TABLE public.loans                   ADD PRIMARY KEY (id);
ALTER TABLE public.payments                ADD PRIMARY KEY (id);
ALTER TABLE public.contact_events          ADD PRIMARY KEY (id);
ALTER TABLE public.complaints              ADD PRIMARY KEY (id);
ALTER TABLE public.applications            ADD PRIMARY KEY (id);
ALTER TABLE public.enforcement_proceedings ADD PRIMARY KEY (id);
ALTER TABLE public.court_cases             ADD PRIMARY KEY (id);
ALTER TABLE public.tax_arrears             ADD PRIMARY KEY (id), ADD UNIQUE (taxpayer_bin);
ALTER TABLE public.consents                ADD PRIMARY KEY (id);
ALTER TABLE public.case_assignments        ADD PRIMARY KEY (id);

ALTER TABLE public.employees
    ADD FOREIGN KEY (region) REFERENCES public.regions (name);
ALTER TABLE public.counterparty_contacts
    ADD FOREIGN KEY (counterparty_id) REFERENCES public.counterparties (id);
ALTER TABLE public.employers
    ADD FOREIGN KEY (region) REFERENCES public.regions (name);
ALTER TABLE public.debtors
    ADD FOREIGN KEY (region) REFERENCES public.regions (name);
ALTER TABLE public.relatives
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id);
ALTER TABLE public.employments
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id),
    ADD FOREIGN KEY (employer_id) REFERENCES public.employers (id);
ALTER TABLE public.loans
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id),
    ADD FOREIGN KEY (creditor_id) REFERENCES public.counterparties (id);
ALTER TABLE public.payments
    ADD FOREIGN KEY (loan_id) REFERENCES public.loans (id),
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id);
ALTER TABLE public.contact_events
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id),
    ADD FOREIGN KEY (loan_id) REFERENCES public.loans (id),
    ADD FOREIGN KEY (employee_id) REFERENCES public.employees (id);
ALTER TABLE public.complaints
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id),
    ADD FOREIGN KEY (creditor_id) REFERENCES public.counterparties (id);
ALTER TABLE public.applications
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id);
ALTER TABLE public.enforcement_proceedings
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id);
ALTER TABLE public.court_cases
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id);
ALTER TABLE public.tax_arrears
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id),
    ADD FOREIGN KEY (region) REFERENCES public.regions (name);
ALTER TABLE public.consents
    ADD FOREIGN KEY (employee_id) REFERENCES public.employees (id),
    ADD FOREIGN KEY (counterparty_id) REFERENCES public.counterparties (id),
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id);
ALTER TABLE public.case_assignments
    ADD FOREIGN KEY (debtor_id) REFERENCES public.debtors (id),
    ADD FOREIGN KEY (employee_id) REFERENCES public.employees (id),
    ADD FOREIGN KEY (region) REFERENCES public.regions (name);

CREATE INDEX ON public.employees (region);
CREATE INDEX ON public.counterparty_contacts (counterparty_id);
CREATE INDEX ON public.employers (region);
CREATE INDEX ON public.debtors (region);
CREATE INDEX ON public.relatives (debtor_id);
CREATE INDEX ON public.employments (debtor_id);
CREATE INDEX ON public.employments (employer_id);
CREATE INDEX ON public.loans (debtor_id);
CREATE INDEX ON public.loans (creditor_id);
CREATE INDEX ON public.payments (loan_id);
CREATE INDEX ON public.payments (debtor_id);
CREATE INDEX ON public.contact_events (debtor_id);
CREATE INDEX ON public.contact_events (loan_id);
CREATE INDEX ON public.contact_events (employee_id);
CREATE INDEX ON public.complaints (debtor_id);
CREATE INDEX ON public.complaints (creditor_id);
CREATE INDEX ON public.applications (debtor_id);
CREATE INDEX ON public.enforcement_proceedings (debtor_id);
CREATE INDEX ON public.court_cases (debtor_id);
CREATE INDEX ON public.tax_arrears (debtor_id);
CREATE INDEX ON public.tax_arrears (region);
CREATE INDEX ON public.consents (employee_id);
CREATE INDEX ON public.consents (counterparty_id);
CREATE INDEX ON public.consents (debtor_id);
CREATE INDEX ON public.case_assignments (debtor_id);
CREATE INDEX ON public.case_assignments (employee_id);
CREATE INDEX ON public.case_assignments (region);
CREATE UNIQUE INDEX ON public.case_assignments (debtor_id) WHERE is_active;
