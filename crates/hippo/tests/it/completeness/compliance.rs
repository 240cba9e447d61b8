//! The compliance rows of the completeness table: the access review, the
//! evidence report, alert review, the patient export and the accounting
//! of disclosures.

use super::cases::{Case, Expect, case};
use reqwest::Method;

pub(super) fn cases(
    auditor: &str,
    ana: &str,
    cat: &str,
    admin: &str,
    patient: &str,
    alert: &str,
) -> Vec<Case> {
    use Expect::Records;
    let (g, p) = (Method::GET, Method::POST);
    vec![
        case(
            g.clone(),
            "/api/v1/compliance/access-review",
            "/api/v1/compliance/access-review",
            auditor,
            None,
            Records("user.read"),
            Some(ana),
        ),
        case(
            g.clone(),
            "/api/v1/compliance/report",
            "/api/v1/compliance/report",
            auditor,
            None,
            Records("audit.query"),
            Some(ana),
        ),
        case(
            p,
            "/api/v1/alerts/{id}/review",
            format!("/api/v1/alerts/{alert}/review"),
            auditor,
            None,
            Records("alert.review"),
            Some(admin),
        ),
        case(
            g.clone(),
            "/api/v1/patients/{id}/export",
            format!("/api/v1/patients/{patient}/export"),
            ana,
            None,
            Records("patient.export"),
            Some(cat),
        ),
        case(
            g,
            "/api/v1/reports/disclosures/{patient_id}",
            format!("/api/v1/reports/disclosures/{patient}"),
            auditor,
            None,
            Records("audit.query"),
            Some(ana),
        ),
    ]
}
