"""The default GMP site-audit checklist, in CMOselect's own wording.

Loaded by a data migration as the published version 1 of "GMP site audit". Each question is
(text, reference, options) where options may set kind (answer type), weight, critical, guidance
and evidence (what the auditor expects to see). Defaults: yes/no/NA, weight 2, not critical.
"""

TEMPLATE_NAME = "GMP site audit"
TEMPLATE_DESCRIPTION = (
    "General GMP audit of a contract manufacturing site (drug substance or drug product). "
    "Sections that do not apply to the site (e.g. sterility assurance) are answered "
    "'not applicable' and do not count towards the score."
)


def q(text: str, reference: str = "", **options) -> dict:
    return {
        "text": text,
        "reference": reference,
        "answer_type": options.get("kind", "yes_no"),
        "weight": options.get("weight", 2),
        "critical": options.get("critical", False),
        "guidance": options.get("guidance", ""),
        "evidence_expected": options.get("evidence", ""),
    }


SECTIONS: list[tuple[str, str, list[dict]]] = [
    (
        "Quality management system and management review",
        "How quality is organised, governed and reviewed by senior management.",
        [
            q(
                "Is there a documented quality manual or policy describing the site's quality system and its scope?",
                "ICH Q10 2.1; EU GMP Chapter 1",
                evidence="Quality manual, quality policy signed by site head",
            ),
            q(
                "Is the quality unit independent of production, with authority to release or reject materials and product?",
                "21 CFR 211.22; ICH Q7 2.13",
                weight=3,
                critical=True,
                guidance="Look at the organisation chart and at who signs batch release.",
            ),
            q(
                "Does senior management review the performance of the quality system at defined intervals?",
                "ICH Q10 4.1; EU GMP 1.6",
                evidence="Last two management review minutes",
            ),
            q(
                "Rate how well management review inputs (deviations, CAPA, complaints, audits, trends) drive documented actions.",
                "ICH Q10 4.2",
                kind="rating",
                weight=3,
            ),
            q(
                "Are quality objectives and KPIs defined, measured and trended?",
                "ICH Q10 3.2",
                evidence="KPI dashboard, trend reports",
            ),
            q(
                "Is a product quality review (annual product review) performed for each product made for clients?",
                "21 CFR 211.180(e); EU GMP 1.10",
                evidence="Recent PQR/APR for a comparable product",
            ),
            q(
                "Are quality risk management principles applied and documented in decisions?",
                "ICH Q9(R1)",
                kind="rating",
            ),
            q(
                "Number of full-time staff in the quality unit (QA and QC).",
                "",
                kind="number",
                weight=0,
            ),
        ],
    ),
    (
        "Personnel and training",
        "Qualification, training and hygiene of the people who make and test product.",
        [
            q(
                "Are job descriptions current for key GMP roles, including deputies?",
                "EU GMP 2.4; ICH Q7 3.10",
                evidence="Job descriptions of QA head, production head, QP or equivalent",
            ),
            q(
                "Is there a training programme covering GMP basics, job-specific SOPs and refresher training?",
                "21 CFR 211.25; EU GMP 2.8",
                evidence="Training matrix and curriculum",
            ),
            q(
                "Are training records complete and is effectiveness of training assessed?",
                "21 CFR 211.25(a)",
                kind="rating",
                guidance="Sample three operators and two analysts; check they are trained on the current SOP versions they use.",
            ),
            q(
                "Are people trained before they perform GMP tasks unsupervised?",
                "EU GMP 2.10",
                weight=3,
            ),
            q(
                "Are health, hygiene and gowning requirements defined and followed?",
                "EU GMP 2.15–2.21; ICH Q7 3.20",
            ),
            q(
                "Are consultants and contractors qualified and trained for their GMP tasks?",
                "21 CFR 211.34; ICH Q7 3.30",
            ),
            q(
                "Rate staffing levels against the site's workload (overtime, backlog, turnover).",
                "EU GMP 2.1",
                kind="rating",
            ),
        ],
    ),
    (
        "Premises and equipment",
        "Design, maintenance, cleaning and calibration of facilities, utilities and equipment.",
        [
            q(
                "Are premises designed and laid out to minimise mix-ups and cross-contamination (flows of people, materials and waste)?",
                "EU GMP 3.1; 21 CFR 211.42",
                weight=3,
                evidence="Layout drawings with flows and room classifications",
            ),
            q("Are premises in a good state of repair and clean?", "EU GMP 3.2", kind="rating"),
            q(
                "Are HVAC systems qualified, with pressure cascades monitored and alarmed?",
                "EU GMP 3.12; 21 CFR 211.46",
                evidence="HVAC qualification, pressure trend records",
            ),
            q(
                "Are purified water and other critical utilities qualified and routinely monitored?",
                "EU GMP Annex 15; ICH Q7 4.3",
                weight=3,
                evidence="Water system trend data, out-of-limit investigations",
            ),
            q(
                "Is there a preventive maintenance programme that is up to date?",
                "21 CFR 211.67; EU GMP 3.34",
                evidence="Maintenance schedule and overdue list",
            ),
            q(
                "Are instruments calibrated against traceable standards, with calibration status labelled?",
                "21 CFR 211.68; EU GMP 3.41",
            ),
            q(
                "Is equipment qualified (DQ/IQ/OQ/PQ) before use and requalified after changes?",
                "EU GMP Annex 15; ICH Q7 5.3",
                weight=3,
            ),
            q("Are equipment logbooks kept for use, cleaning and maintenance?", "21 CFR 211.182"),
            q("Is pest control in place with trend review?", "EU GMP 3.4"),
        ],
    ),
    (
        "Documentation and SOPs",
        "Document control, good documentation practice and records.",
        [
            q(
                "Is there a document control system with approval, versioning, distribution and withdrawal of obsolete documents?",
                "EU GMP Chapter 4; 21 CFR 211.100",
                weight=3,
            ),
            q("Are SOPs reviewed periodically and kept current?", "EU GMP 4.5"),
            q(
                "Are master batch records approved by QA and controlled?",
                "21 CFR 211.186; ICH Q7 6.4",
                weight=3,
            ),
            q(
                "Are executed batch records complete, contemporaneous and legible?",
                "21 CFR 211.188; EU GMP 4.20",
                kind="rating",
                weight=3,
                guidance="Review at least two executed batch records end to end.",
            ),
            q(
                "Are corrections made in line with good documentation practice (single line, initials, date, reason)?",
                "EU GMP 4.9",
            ),
            q(
                "Are records retained for the required period and retrievable on request?",
                "21 CFR 211.180; EU GMP 4.10",
                evidence="Retention schedule; retrieve an old record during the visit",
            ),
            q("Are blank forms and logbooks issued under control and reconciled?", "ICH Q7 6.50"),
        ],
    ),
    (
        "Production and process controls",
        "How batches are made, controlled and released by production.",
        [
            q(
                "Are production operations performed according to approved instructions, with deviations recorded?",
                "21 CFR 211.100(b); EU GMP 5.2",
                weight=3,
                critical=True,
            ),
            q(
                "Are in-process controls defined, performed and recorded with their results?",
                "21 CFR 211.110; ICH Q7 8.3",
            ),
            q(
                "Is line clearance performed and documented between batches and products?",
                "EU GMP 5.35; 21 CFR 211.130(e)",
                weight=3,
            ),
            q(
                "Are yields calculated and investigated when outside the expected range?",
                "21 CFR 211.103; ICH Q7 8.14",
            ),
            q("Are time limits for processing steps defined and respected?", "21 CFR 211.111"),
            q(
                "Are materials, equipment and rooms labelled with their status and contents?",
                "EU GMP 5.12",
            ),
            q(
                "Is reprocessing or reworking controlled, approved by QA and validated where required?",
                "ICH Q7 14.2; 21 CFR 211.115",
            ),
            q(
                "Rate the control of shared (multi-product) equipment and campaigns.",
                "EU GMP 5.18–5.21",
                kind="rating",
                weight=3,
            ),
            q(
                "Is batch release by QA (or the Qualified Person) based on review of the complete batch record and test results?",
                "EU GMP Annex 16; 21 CFR 211.192",
                weight=3,
                critical=True,
            ),
        ],
    ),
    (
        "QC laboratory and OOS handling",
        "Laboratory controls, method use, out-of-specification and out-of-trend results.",
        [
            q(
                "Are specifications and test methods approved and current for each material and product?",
                "21 CFR 211.160; EU GMP 6.15",
            ),
            q(
                "Is there a written OOS procedure with phase I (laboratory) and phase II (full-scale) investigation?",
                "FDA OOS guidance 2022; EU GMP 6.35",
                weight=3,
                critical=True,
            ),
            q(
                "Are OOS investigations scientifically sound, with root cause and no invalidation of results without evidence?",
                "21 CFR 211.192",
                kind="rating",
                weight=3,
                guidance="Review the last five OOS investigations, including ones closed as laboratory error.",
            ),
            q("Are out-of-trend results identified and assessed?", "EU GMP 6.16"),
            q(
                "Are reference standards qualified, stored and used within expiry?",
                "ICH Q7 11.17; 21 CFR 211.194(c)",
            ),
            q(
                "Are reagents and solutions labelled with preparation and expiry dates?",
                "EU GMP 6.20",
            ),
            q(
                "Are laboratory instruments qualified and calibrated, and is system suitability checked?",
                "USP <1058>; 21 CFR 211.160(b)(4)",
            ),
            q(
                "Are raw data (chromatograms, balance printouts, notebooks) retained and reviewed by a second person?",
                "21 CFR 211.194(a)",
                weight=3,
            ),
            q(
                "Are retained samples kept for each batch and for the required period?",
                "21 CFR 211.170; EU GMP Annex 19",
            ),
            q("Number of OOS results in the last 12 months.", "", kind="number", weight=0),
        ],
    ),
    (
        "Materials management and supplier control",
        "Receipt, sampling, testing and release of materials; qualification of suppliers.",
        [
            q(
                "Is there an approved supplier list, and are suppliers of critical materials qualified (including audits where justified)?",
                "ICH Q7 7.1; EU GMP 5.27",
                weight=3,
            ),
            q(
                "Are quality agreements in place with suppliers of critical materials and services?",
                "EU GMP 7.1",
            ),
            q(
                "Are incoming materials quarantined until released by QA?",
                "21 CFR 211.82; EU GMP 5.30",
                weight=3,
                critical=True,
            ),
            q(
                "Is each container of incoming material identity-tested, or is reduced testing justified?",
                "21 CFR 211.84(d); EU GMP Annex 8",
            ),
            q(
                "Is sampling performed in a controlled environment that prevents contamination?",
                "EU GMP 6.11",
            ),
            q("Are rejected materials segregated and their disposition recorded?", "21 CFR 211.89"),
            q(
                "Is stock rotation (FEFO/FIFO) applied and are retest dates controlled?",
                "ICH Q7 7.5",
            ),
            q(
                "Is the supply chain of APIs and excipients traceable to the manufacturer?",
                "EU GMP 5.29; ICH Q7 17",
            ),
        ],
    ),
    (
        "Validation: process and cleaning",
        "Process validation lifecycle and cleaning validation.",
        [
            q(
                "Is there a validation master plan covering process, cleaning, analytical and computerized system validation?",
                "EU GMP Annex 15",
                evidence="Current VMP",
            ),
            q(
                "Are commercial processes validated (process performance qualification) before distribution?",
                "FDA Process Validation guidance 2011; EU GMP Annex 15",
                weight=3,
                critical=True,
            ),
            q(
                "Is continued process verification performed and trended?",
                "FDA PV guidance stage 3",
                kind="rating",
            ),
            q(
                "Are cleaning procedures validated with scientifically justified limits (e.g. health-based exposure limits)?",
                "EU GMP Annex 15 10; ICH Q7 12.7",
                weight=3,
                critical=True,
            ),
            q(
                "Are worst-case products and hard-to-clean locations justified in the cleaning validation?",
                "EU GMP Annex 15 10.12",
            ),
            q("Is revalidation triggered by changes through change control?", "EU GMP Annex 15 11"),
            q(
                "Are validation deviations investigated and closed before the validation report is approved?",
                "EU GMP Annex 15 2.9",
            ),
        ],
    ),
    (
        "Validation: analytical methods and computerized systems",
        "Analytical method validation and transfer; computerized system validation.",
        [
            q(
                "Are analytical methods validated or verified for their intended use?",
                "ICH Q2(R2); 21 CFR 211.165(e)",
                weight=3,
            ),
            q(
                "Are method transfers to this site documented with acceptance criteria?",
                "USP <1224>",
            ),
            q(
                "Is there an inventory of GxP computerized systems with their validation status?",
                "EU GMP Annex 11 4.3",
                evidence="System inventory with risk class",
            ),
            q(
                "Are GxP computerized systems validated according to risk (e.g. GAMP 5)?",
                "EU GMP Annex 11; 21 CFR Part 11",
                weight=3,
            ),
            q(
                "Are user access, roles and password controls managed and reviewed periodically?",
                "EU GMP Annex 11 12; 21 CFR 11.10(d)",
            ),
            q("Are backups performed, and has restoration been tested?", "EU GMP Annex 11 7.2"),
            q(
                "Are spreadsheets used for GMP calculations validated and protected?",
                "EU GMP Annex 11",
            ),
        ],
    ),
    (
        "Data integrity (ALCOA+)",
        "Whether records are attributable, legible, contemporaneous, original, accurate, complete, consistent, enduring and available.",
        [
            q(
                "Is there a data governance policy and a data integrity risk assessment of systems and processes?",
                "MHRA GxP Data Integrity 2018; PIC/S PI 041",
                weight=3,
            ),
            q(
                "Are audit trails enabled on GxP systems and reviewed as part of record review?",
                "21 CFR 11.10(e); EU GMP Annex 11 9",
                weight=3,
                critical=True,
                guidance="Ask to see the audit trail review of a recent HPLC sequence.",
            ),
            q(
                "Are shared logins or generic accounts absent on GxP systems?",
                "21 CFR 11.10(d)",
                weight=3,
            ),
            q(
                "Is there no evidence of unrecorded trial injections, deleted data or back-dated entries?",
                "FDA Data Integrity guidance 2018",
                weight=5,
                critical=True,
            ),
            q("Are system clocks protected from change by users?", "EU GMP Annex 11"),
            q(
                "Are paper records (uncontrolled scraps, notes) absent from GMP areas?",
                "PIC/S PI 041 8",
            ),
            q(
                "Rate the site's data integrity culture (openness about errors, speak-up, training).",
                "PIC/S PI 041 6",
                kind="rating",
                weight=3,
            ),
            q(
                "Are true copies and archived electronic data verified and readable over the retention period?",
                "EU GMP Annex 11 17",
            ),
        ],
    ),
    (
        "Deviations, CAPA and change control",
        "How departures are recorded, investigated and corrected, and how changes are controlled.",
        [
            q(
                "Are deviations recorded promptly, classified by risk and investigated to root cause?",
                "21 CFR 211.192; EU GMP 1.4(xiv)",
                weight=3,
                critical=True,
            ),
            q(
                "Are deviation investigations closed within defined timelines, with extensions justified?",
                "ICH Q10 3.2.2",
                kind="rating",
            ),
            q(
                "Does the CAPA system track actions to completion and check their effectiveness?",
                "ICH Q10 3.2.2; 21 CFR 820.100",
                weight=3,
            ),
            q("Are recurring deviations trended and escalated?", "ICH Q10"),
            q(
                "Is there a change control system assessing impact on validation, registration and clients?",
                "ICH Q10 3.2.3; EU GMP 1.4(xii)",
                weight=3,
            ),
            q(
                "Are clients notified of changes and deviations affecting their products as the quality agreement requires?",
                "EU GMP Chapter 7",
                weight=3,
            ),
            q("Number of open deviations older than 30 days.", "", kind="number", weight=0),
            q("Number of overdue CAPAs at the time of the audit.", "", kind="number", weight=0),
        ],
    ),
    (
        "Complaints and recalls",
        "Handling of quality complaints, product recalls and falsified-medicine reports.",
        [
            q(
                "Is there a written procedure for handling quality complaints, including client-reported ones?",
                "21 CFR 211.198; EU GMP Chapter 8",
            ),
            q(
                "Are complaints investigated, trended and linked to deviations and CAPA?",
                "EU GMP 8.15",
                kind="rating",
            ),
            q(
                "Is there a recall procedure, and has its effectiveness been tested (mock recall)?",
                "EU GMP 8.30",
                weight=3,
                evidence="Last mock recall report",
            ),
            q(
                "Are clients informed promptly of complaints and recalls affecting their products?",
                "EU GMP 7.14",
            ),
            q(
                "Were there any recalls of products made at the site in the last five years?",
                "",
                guidance="If yes, record the details in the comment and check the investigation.",
            ),
        ],
    ),
    (
        "Stability",
        "Stability programmes for products and intermediates.",
        [
            q(
                "Is there a written stability programme with validated stability-indicating methods?",
                "21 CFR 211.166; ICH Q1A(R2)",
                weight=3,
            ),
            q(
                "Are stability chambers qualified, mapped and monitored with alarms?",
                "ICH Q1A; EU GMP Annex 15",
            ),
            q("Are stability pulls and tests performed on time?", "ICH Q1A", kind="rating"),
            q(
                "Are stability OOS and OOT results investigated and reported to clients?",
                "EU GMP 6.32",
            ),
            q(
                "Is an ongoing stability programme in place for marketed products (at least one batch per year)?",
                "EU GMP 6.23–6.33",
            ),
        ],
    ),
    (
        "Packaging and labeling",
        "Control of printed components, labeling operations and reconciliation.",
        [
            q(
                "Are printed packaging materials stored securely with restricted access?",
                "21 CFR 211.122; EU GMP 5.43",
                weight=3,
            ),
            q(
                "Are labels checked against approved masters on receipt and before use?",
                "21 CFR 211.122(a)",
            ),
            q(
                "Is label reconciliation performed and are discrepancies investigated?",
                "21 CFR 211.125",
                weight=3,
                critical=True,
            ),
            q(
                "Are on-line verification systems (code readers, vision) challenged at start-up?",
                "EU GMP 5.52",
            ),
            q("Is physical or spatial separation in place between packaging lines?", "EU GMP 5.49"),
            q("Are serialization requirements met where applicable?", "EU FMD 2016/161; DSCSA"),
        ],
    ),
    (
        "Storage and distribution",
        "Warehousing, temperature control and shipment of materials and product.",
        [
            q(
                "Are storage areas temperature-mapped and monitored, with excursions investigated?",
                "EU GMP 3.19; EU GDP 3.2",
                weight=3,
            ),
            q(
                "Are controlled-temperature products shipped in qualified packaging or lanes?",
                "EU GDP 9.2",
            ),
            q(
                "Is the warehouse management system controlling status (quarantine, released, rejected)?",
                "EU GMP 5.4",
            ),
            q(
                "Are returned goods assessed by QA before being restocked or destroyed?",
                "EU GMP 5.65; 21 CFR 211.204",
            ),
            q("Are distribution records kept to allow a recall?", "21 CFR 211.196"),
            q("Are controlled substances, if any, stored and recorded as required?", "21 CFR 1301"),
        ],
    ),
    (
        "Contamination control and sterility assurance",
        "Where the site makes sterile or low-bioburden product; otherwise answer not applicable.",
        [
            q(
                "Is there a documented contamination control strategy covering the whole facility and process?",
                "EU GMP Annex 1 (2022) 2.3",
                weight=3,
            ),
            q(
                "Are cleanrooms classified and environmental monitoring performed with alert and action limits?",
                "EU GMP Annex 1 9; 21 CFR 211.42(c)(10)",
                weight=3,
            ),
            q(
                "Are aseptic process simulations (media fills) performed at the required frequency and all passing?",
                "EU GMP Annex 1 9.32; FDA aseptic guidance 2004",
                weight=5,
                critical=True,
            ),
            q(
                "Are sterilisation processes (autoclaves, dry heat, filtration) validated?",
                "EU GMP Annex 1 8.33",
                weight=3,
                critical=True,
            ),
            q(
                "Is gowning qualification performed for operators entering grade A/B areas?",
                "EU GMP Annex 1 7.5",
            ),
            q(
                "Is container closure integrity verified for sterile products?",
                "EU GMP Annex 1 8.22",
            ),
            q(
                "Are first air and aseptic technique respected in the observed operations?",
                "EU GMP Annex 1",
                kind="rating",
                weight=3,
                guidance="Observe an aseptic operation through a window or on video.",
            ),
            q(
                "Are disinfectants rotated and validated, including a sporicide?",
                "EU GMP Annex 1 4.33",
            ),
            q("Is bioburden tested before sterilisation, with limits?", "EU GMP Annex 1 8.16"),
            q(
                "Rate the trending and investigation of environmental monitoring excursions.",
                "EU GMP Annex 1 9.23",
                kind="rating",
            ),
        ],
    ),
    (
        "Regulatory inspection history and readiness",
        "The site's record with health authorities and its readiness for pre-approval inspections.",
        [
            q("Date of the last FDA inspection of the site.", "", kind="date", weight=0),
            q(
                "Date of the last EU/EEA (or MRA partner) GMP inspection of the site.",
                "",
                kind="date",
                weight=0,
            ),
            q(
                "Did the last health-authority inspections close without critical observations, warning letters or GMP non-compliance statements?",
                "FDA Warning Letters; EudraGMDP",
                weight=5,
                critical=True,
            ),
            q(
                "Are responses to the last inspection observations complete and on time?",
                "",
                kind="rating",
                weight=3,
            ),
            q(
                "Does the site hold current GMP certificates or manufacturing licences for the relevant dosage forms?",
                "EudraGMDP",
                weight=3,
                evidence="GMP certificate, manufacturing licence",
            ),
            q(
                "Is there an inspection readiness programme (back room, front room, mock inspections)?",
                "",
            ),
            q(
                "Will the site share inspection outcomes affecting client products within the agreed time?",
                "EU GMP Chapter 7",
            ),
        ],
    ),
    (
        "Subcontracting and outsourced activities",
        "Control of work the CMO passes on to others (testing laboratories, sterilisation, logistics).",
        [
            q(
                "Are all subcontracted GMP activities listed and approved by the client where required?",
                "EU GMP 7.6; 21 CFR 200.10(b)",
                weight=3,
            ),
            q("Are subcontractors qualified and audited by the CMO?", "EU GMP 7.7"),
            q(
                "Are written agreements in place that define GMP responsibilities with subcontractors?",
                "EU GMP 7.5",
            ),
            q("Is subcontractor performance monitored and reviewed?", "ICH Q10 2.7", kind="rating"),
        ],
    ),
    (
        "Business continuity and capacity",
        "Whether the CMO can supply reliably: capacity, redundancy and financial stability.",
        [
            q(
                "Is there a business continuity plan covering loss of utilities, key equipment, suppliers and staff?",
                "ISO 22301",
                weight=2,
            ),
            q(
                "Are single points of failure (sole-source materials, single equipment trains) identified with mitigations?",
                "ICH Q9",
                kind="rating",
            ),
            q(
                "Is there capacity for the planned volumes in the required time frame?",
                "",
                weight=3,
                guidance="Compare the capacity plan with the volumes in the request for proposal.",
            ),
            q("Is there an IT disaster recovery plan that has been tested?", "EU GMP Annex 11 16"),
            q(
                "Are there safety and environmental permits in place for the planned activities?",
                "",
            ),
            q(
                "Planned annual capacity available for our products (units, kg or litres per year).",
                "",
                kind="number",
                weight=0,
            ),
            q(
                "Summarise the site's strengths and concerns for the qualification decision.",
                "",
                kind="text",
                weight=0,
            ),
        ],
    ),
]


def question_count() -> int:
    return sum(len(questions) for _, _, questions in SECTIONS)
