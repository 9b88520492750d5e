-- The synthetic Palata database: tables only. Keys, foreign keys and indexes are in
-- constraints.sql and are added after loading, because COPY into bare tables is much faster.
-- Subject categories follow regulation clause 3.1: employee, counterparty, applicant.

CREATE TABLE public.regions (
    id              smallint NOT NULL,
    name            text     NOT NULL,          -- official Russian name; the row-filter key
    name_kk         text     NOT NULL,
    kazpost_letter  char(1)  NOT NULL,
    center          text     NOT NULL
);

-- 3.1.1: the Chamber's employees
CREATE TABLE public.employees (
    id              integer       NOT NULL,
    iin             char(12)      NOT NULL,
    last_name       text          NOT NULL,
    first_name      text          NOT NULL,
    patronymic      text,
    birth_date      date          NOT NULL,
    sex             char(1)       NOT NULL CHECK (sex IN ('M', 'F')),
    position        text          NOT NULL,
    department      text          NOT NULL,
    region          text          NOT NULL,
    hire_date       date          NOT NULL,
    phone           text          NOT NULL,
    email           text          NOT NULL,
    home_address    text          NOT NULL,
    salary          numeric(14,2) NOT NULL,
    id_doc_number   text          NOT NULL
);

-- 3.1.2: counterparties and their staff
CREATE TABLE public.counterparties (
    id              integer  NOT NULL,
    kind            text     NOT NULL CHECK (kind IN ('bank', 'mfo', 'collection_agency')),
    bin             char(12) NOT NULL,
    name            text     NOT NULL,
    address         text     NOT NULL,
    iban            char(20) NOT NULL,
    phone           text     NOT NULL,
    email           text     NOT NULL,
    contract_number text     NOT NULL,
    contract_date   date     NOT NULL,
    contract_until  date
);

CREATE TABLE public.counterparty_contacts (
    id              integer  NOT NULL,
    counterparty_id integer  NOT NULL,
    last_name       text     NOT NULL,
    first_name      text     NOT NULL,
    patronymic      text,
    position        text     NOT NULL,
    iin             char(12),
    phone           text     NOT NULL,
    email           text     NOT NULL
);

-- 3.1.3: debtors (applicants), their relatives and employers
CREATE TABLE public.employers (
    id              integer  NOT NULL,
    bin             char(12) NOT NULL,
    name            text     NOT NULL,
    region          text     NOT NULL,
    address         text     NOT NULL,
    phone           text     NOT NULL
);

CREATE TABLE public.debtors (
    id              integer       NOT NULL,
    iin             char(12)      NOT NULL,
    last_name       text          NOT NULL,
    first_name      text          NOT NULL,
    patronymic      text,
    birth_date      date          NOT NULL,
    sex             char(1)       NOT NULL CHECK (sex IN ('M', 'F')),
    id_doc_type     text          NOT NULL CHECK (id_doc_type IN ('id_card', 'passport')),
    id_doc_number   text          NOT NULL,
    id_doc_issued   date          NOT NULL,
    region          text          NOT NULL,
    city            text          NOT NULL,
    address         text          NOT NULL,
    postcode        text          NOT NULL,
    phone           text          NOT NULL,
    phone_alt       text,
    email           text,
    debt_amount     numeric(14,2) NOT NULL,
    created_at      timestamptz   NOT NULL
);

CREATE TABLE public.relatives (
    id              integer  NOT NULL,
    debtor_id       integer  NOT NULL,
    relation        text     NOT NULL CHECK (relation IN
                        ('father', 'mother', 'brother', 'sister', 'son', 'daughter', 'spouse')),
    last_name       text     NOT NULL,
    first_name      text     NOT NULL,
    patronymic      text,
    phone           text     NOT NULL,
    iin             char(12)
);

CREATE TABLE public.employments (
    id              integer NOT NULL,
    debtor_id       integer NOT NULL,
    employer_id     integer NOT NULL,
    position        text    NOT NULL,
    work_phone      text,
    since           date    NOT NULL,
    is_current      boolean NOT NULL
);

CREATE TABLE public.loans (
    id              bigint        NOT NULL,
    debtor_id       integer       NOT NULL,
    creditor_id     integer       NOT NULL,
    contract_number text          NOT NULL,
    contract_date   date          NOT NULL,
    product         text          NOT NULL,
    principal       numeric(14,2) NOT NULL,
    outstanding     numeric(14,2) NOT NULL,
    currency        char(3)       NOT NULL,
    overdue_since   date          NOT NULL,
    days_past_due   integer       NOT NULL,
    iban            char(20)      NOT NULL,
    status          text          NOT NULL CHECK (status IN
                        ('overdue', 'restructured', 'in_court', 'written_off', 'closed'))
);

CREATE TABLE public.payments (
    id              bigint        NOT NULL,
    loan_id         bigint        NOT NULL,
    debtor_id       integer       NOT NULL,
    paid_on         date          NOT NULL,
    amount          numeric(14,2) NOT NULL,
    method          text          NOT NULL,
    reference       text          NOT NULL
);

CREATE TABLE public.contact_events (
    id              bigint      NOT NULL,
    debtor_id       integer     NOT NULL,
    loan_id         bigint      NOT NULL,
    employee_id     integer     NOT NULL,
    occurred_at     timestamptz NOT NULL,
    channel         text        NOT NULL,
    direction       text        NOT NULL,
    phone_dialled   text,
    outcome         text        NOT NULL,
    note            text
);

CREATE TABLE public.complaints (
    id              bigint      NOT NULL,
    debtor_id       integer     NOT NULL,
    creditor_id     integer     NOT NULL,
    received_at     timestamptz NOT NULL,
    channel         text        NOT NULL,
    status          text        NOT NULL,
    text            text        NOT NULL
);

CREATE TABLE public.applications (
    id              bigint      NOT NULL,
    debtor_id       integer     NOT NULL,
    received_at     timestamptz NOT NULL,
    kind            text        NOT NULL,
    status          text        NOT NULL,
    text            text        NOT NULL
);

-- public registers, each row with its source
CREATE TABLE public.enforcement_proceedings (
    id                bigint        NOT NULL,
    debtor_id         integer       NOT NULL,
    source            text          NOT NULL,
    proceeding_number text          NOT NULL,
    started_on        date          NOT NULL,
    enforcement_body  text          NOT NULL,
    document_issuer   text          NOT NULL,
    claimant          text          NOT NULL,
    amount            numeric(14,2) NOT NULL,
    travel_ban        boolean       NOT NULL,
    travel_ban_from   date,
    status            text          NOT NULL,
    retrieved_at      timestamptz   NOT NULL
);

CREATE TABLE public.court_cases (
    id              bigint        NOT NULL,
    debtor_id       integer       NOT NULL,
    source          text          NOT NULL,
    case_number     text          NOT NULL,
    court           text          NOT NULL,
    category_code   char(18)      NOT NULL,
    category        text          NOT NULL,
    debtor_role     text          NOT NULL CHECK (debtor_role IN ('plaintiff', 'defendant')),
    claim_amount    numeric(14,2) NOT NULL,
    filed_on        date          NOT NULL,
    status          text          NOT NULL,
    decided_on      date,
    retrieved_at    timestamptz   NOT NULL
);

CREATE TABLE public.tax_arrears (
    id              bigint        NOT NULL,
    debtor_id       integer       NOT NULL,
    source          text          NOT NULL,
    taxpayer_bin    char(12)      NOT NULL,
    taxpayer_name   text          NOT NULL,
    head_iin        char(12)      NOT NULL,
    head_name       text          NOT NULL,
    region          text          NOT NULL,
    total_due       numeric(14,2) NOT NULL,
    main_debt       numeric(14,2) NOT NULL,
    late_fee        numeric(14,2) NOT NULL,
    fine            numeric(14,2) NOT NULL,
    as_of           date          NOT NULL
);

-- section 5: consents; exactly one subject column is set, the one of subject_category
CREATE TABLE public.consents (
    id                bigint      NOT NULL,
    subject_category  text        NOT NULL CHECK (subject_category IN
                          ('employee', 'counterparty', 'applicant')),
    employee_id       integer,
    counterparty_id   integer,
    debtor_id         integer,
    purpose           text        NOT NULL,
    method            text        NOT NULL CHECK (method IN ('written', 'contract', 'electronic')),
    given_at          timestamptz NOT NULL,
    valid_until       date,
    withdrawn_at      timestamptz,
    withdrawal_locked boolean     NOT NULL,
    lock_reason       text,
    evidence_ref      text        NOT NULL,
    CHECK ((subject_category = 'employee') = (employee_id IS NOT NULL)),
    CHECK ((subject_category = 'counterparty') = (counterparty_id IS NOT NULL)),
    CHECK ((subject_category = 'applicant') = (debtor_id IS NOT NULL)),
    CHECK (NOT (withdrawal_locked AND withdrawn_at IS NOT NULL))
);

CREATE TABLE public.case_assignments (
    id              bigint      NOT NULL,
    debtor_id       integer     NOT NULL,
    employee_id     integer     NOT NULL,
    region          text        NOT NULL,
    assigned_at     timestamptz NOT NULL,
    released_at     timestamptz,
    is_active       boolean     NOT NULL
);
