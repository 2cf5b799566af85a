//! The CRM port over Salesforce: a lookup is one Composite call of queries, a plan is one
//! Composite Graph (plus one invocable action when a Lead is converted, and one Connect API
//! action when an activated Order gets its OrderSummary). The approval port is in
//! `approvals`.

mod approvals;
mod graph;
mod records;
mod sobjects;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use storesync_core::ids::CrmId;

use storesync_core::sync::crm::{
    Crm, CrmApplied, CrmError, CrmPlan, FoundOrderItem, MatchedAccount, MatchedContact,
    PersonMatch, PersonPlan, PersonQuery,
};
use storesync_core::sync::status::{CrmObject, OrderItemSync, PriceSync};

use crate::budget::Priority;
use crate::client::OrderLifeCycle;
use crate::composite::{self, CompositeRequest, CompositeResponse, Graph, Reference};
use crate::error::{ApiError, SalesforceError};
use crate::{OrderSummaryCreated, SalesforceClient};
use graph::Link;
use sobjects::{CONVERTED_LEAD_STATUS, LEAD_CONVERT_ACTION, lookup};

/// The Salesforce side of the sync.
#[derive(Debug, Clone)]
pub struct SalesforceCrm {
    client: SalesforceClient,
}

impl SalesforceCrm {
    /// The sync's Salesforce side over `client`.
    pub fn new(client: SalesforceClient) -> Self {
        SalesforceCrm { client }
    }
}

/// Retryable or not, with Salesforce's own words for an operator.
fn crm_error(e: SalesforceError) -> CrmError {
    let text = match &e {
        SalesforceError::Api { errors, .. } if !errors.is_empty() => describe(errors),
        SalesforceError::Duplicate { rule, message, .. } => {
            format!("DUPLICATES_DETECTED ({rule}): {message}")
        }
        other => other.to_string(),
    };
    // The org's daily API limit spent is no reason to give up on a change: it waits on the
    // queue until the rolling 24 hours free calls again.
    let limit_spent = e.error_code() == Some("REQUEST_LIMIT_EXCEEDED");
    if matches!(e, SalesforceError::BudgetExceeded { .. }) {
        CrmError::Deferred(text)
    } else if e.is_retryable() || limit_spent {
        CrmError::Retryable(text)
    } else {
        CrmError::Permanent(text)
    }
}

fn describe(errors: &[ApiError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.error_code, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

#[derive(Deserialize)]
struct Records<T> {
    records: Vec<T>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Row {
    id: String,
    #[serde(default)]
    account_id: Option<String>,
    #[serde(default)]
    owner_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ItemRow {
    id: String,
    pricebook_entry_id: String,
    #[serde(rename = "Storesync_Line_Id__c", default)]
    key: Option<String>,
}

/// The first record a query subrequest found; a failed query is an error.
fn first(response: &CompositeResponse, query: &Reference) -> Result<Option<Row>, CrmError> {
    let Some(answer) = response.get(query) else {
        return Ok(None);
    };
    if !answer.is_success() {
        let text = describe(&answer.errors());
        return Err(if answer.http_status_code >= 500 {
            CrmError::Retryable(text)
        } else {
            CrmError::Permanent(text)
        });
    }
    let rows: Records<Row> = serde_json::from_value(answer.body.clone())
        .map_err(|e| CrmError::Permanent(format!("unreadable query answer: {e}")))?;
    Ok(rows.records.into_iter().next())
}

fn crm_id(raw: &str) -> Result<CrmId, CrmError> {
    CrmId::parse(raw)
        .map_err(|_| CrmError::Permanent(format!("Salesforce answered a bad id {raw:?}")))
}

#[async_trait]
impl Crm for SalesforceCrm {
    async fn find_person(&self, q: &PersonQuery) -> Result<PersonMatch, CrmError> {
        let mut request = CompositeRequest::new(false);
        let r = &mut request.requests;
        let contact = r.query("contact", &lookup::contact_by_email(&q.email));
        let lead = r.query("lead", &lookup::open_lead_by_email(&q.email));
        let by_key = r.query("account", &lookup::account_by_key(&q.key));
        let by_name = q
            .company
            .as_ref()
            .map(|company| r.query("company", &lookup::account_by_name(company)));
        let pricebook = q
            .standard_pricebook
            .then(|| r.query("pricebook", lookup::STANDARD_PRICEBOOK));
        let response = self.client.composite(&request).await.map_err(crm_error)?;
        let account = match first(&response, &by_key)? {
            Some(row) => Some(row),
            None => match &by_name {
                Some(query) => first(&response, query)?,
                None => None,
            },
        };
        Ok(PersonMatch {
            contact: first(&response, &contact)?
                .map(|row| -> Result<_, CrmError> {
                    Ok(MatchedContact {
                        id: crm_id(&row.id)?,
                        account_id: row.account_id.as_deref().map(crm_id).transpose()?,
                    })
                })
                .transpose()?,
            account: account
                .map(|row| -> Result<_, CrmError> {
                    Ok(MatchedAccount {
                        id: crm_id(&row.id)?,
                        owner_id: row.owner_id,
                    })
                })
                .transpose()?,
            lead: first(&response, &lead)?
                .map(|row| crm_id(&row.id))
                .transpose()?,
            standard_pricebook_id: match &pricebook {
                Some(query) => first(&response, query)?.map(|row| row.id),
                None => None,
            },
        })
    }

    async fn standard_pricebook(&self) -> Result<String, CrmError> {
        let rows: Vec<Row> = self
            .client
            .query_all(lookup::STANDARD_PRICEBOOK)
            .await
            .map_err(crm_error)?;
        rows.into_iter()
            .next()
            .map(|row| row.id)
            .ok_or_else(|| CrmError::Permanent("the org has no standard price book".into()))
    }

    async fn order_items(&self, order: &CrmId) -> Result<Vec<FoundOrderItem>, CrmError> {
        let rows: Vec<ItemRow> = self
            .client
            .query_all(&lookup::order_items(order.as_str()))
            .await
            .map_err(crm_error)?;
        rows.into_iter()
            .map(|row| {
                Ok(FoundOrderItem {
                    key: row.key,
                    item: OrderItemSync {
                        order_item_id: crm_id(&row.id)?,
                        price_entry_id: crm_id(&row.pricebook_entry_id)?,
                    },
                })
            })
            .collect()
    }

    async fn apply(&self, plan: &CrmPlan) -> Result<CrmApplied, CrmError> {
        let mut matched = BTreeSet::new();
        let mut applied = loop {
            let built = graph::build(plan, "sync", &matched);
            if built.graph.nodes.is_empty() {
                break ids_of(&built, None)?;
            }
            let answer = self
                .client
                .composite_graph(std::slice::from_ref(&built.graph))
                .await
                .map_err(crm_error)?
                .into_iter()
                .next()
                .ok_or_else(|| CrmError::Retryable("the graph got no answer".into()))?;
            if answer.is_successful {
                break ids_of(&built, Some(&answer.responses))?;
            }
            // A record the store did not know of exists (a replay after a lost answer, or a
            // price created by another order meanwhile): send it again as a match.
            let refused = create_only_refusals(&answer.responses);
            if refused.is_empty() || refused.is_subset(&matched) {
                return Err(graph_failure(&answer.responses));
            }
            matched.extend(refused);
        };
        self.converted(plan, &mut applied).await?;
        self.summarized(plan, &mut applied, Priority::Urgent)
            .await?;
        Ok(applied)
    }

    /// Many plans as graphs, up to 75 a call (fewer when the payload's node or node-type
    /// limits say so); each graph still commits alone. Before each call the org's API usage
    /// is checked against the budget share: past it, the plans not sent are deferred.
    async fn apply_batch(&self, plans: &[CrmPlan]) -> Vec<Result<CrmApplied, CrmError>> {
        let none = BTreeSet::new();
        let mut built: Vec<graph::PlanGraph<'_>> = plans
            .iter()
            .enumerate()
            .map(|(i, plan)| graph::build(plan, &i.to_string(), &none))
            .collect();
        let mut answers: Vec<Option<Result<CrmApplied, CrmError>>> = vec![None; plans.len()];
        let mut graphs = Vec::new();
        for (i, b) in built.iter_mut().enumerate() {
            if b.graph.nodes.is_empty() {
                answers[i] = Some(ids_of(b, None));
            } else {
                graphs.push(std::mem::replace(&mut b.graph, Graph::new(i.to_string())));
            }
        }
        for payload in composite::payloads(graphs) {
            let indices: Vec<usize> = payload
                .iter()
                .map(|g| g.graph_id.parse().expect("graph ids are plan indices"))
                .collect();
            if let Err(e) = self.client.ensure_budget(Priority::Deferrable) {
                for i in indices {
                    answers[i] = Some(Err(CrmError::Deferred(e.to_string())));
                }
                continue;
            }
            match self.client.composite_graph(&payload).await {
                Ok(responses) => {
                    for response in responses {
                        let Ok(i) = response.graph_id.parse::<usize>() else {
                            continue;
                        };
                        answers[i] = Some(if response.is_successful {
                            ids_of(&built[i], Some(&response.responses))
                        } else if create_only_refusals(&response.responses).is_empty() {
                            Err(graph_failure(&response.responses))
                        } else {
                            // A record the store did not know of exists: the single path
                            // sends it again as a match.
                            self.apply(&plans[i]).await
                        });
                    }
                }
                Err(e) => {
                    let error = crm_error(e);
                    for i in indices {
                        answers[i] = Some(Err(error.clone()));
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(plans.len());
        for (plan, answer) in plans.iter().zip(answers) {
            let answer = match answer {
                Some(Ok(mut applied)) => match self.converted(plan, &mut applied).await {
                    Ok(()) => self
                        .summarized(plan, &mut applied, Priority::Deferrable)
                        .await
                        .map(|()| applied),
                    Err(e) => Err(e),
                },
                Some(failed) => failed,
                None => Err(CrmError::Retryable("the graph got no answer".into())),
            };
            out.push(answer);
        }
        out
    }
}

/// The ids of the plan's records and of the prices it created, from the graph's answer.
fn ids_of(
    built: &graph::PlanGraph<'_>,
    answers: Option<&CompositeResponse>,
) -> Result<CrmApplied, CrmError> {
    let id_of = |reference: &Reference| -> Result<CrmId, CrmError> {
        let raw = answers
            .and_then(|a| a.get(reference))
            .and_then(|r| r.id())
            .ok_or_else(|| {
                CrmError::Retryable(format!("no id for the {} node", reference.name()))
            })?;
        crm_id(raw)
    };
    let mut applied = CrmApplied::default();
    for (object, link) in &built.links {
        let id = match link {
            Link::Id(id) => id.clone(),
            Link::Node(reference) => id_of(reference)?,
        };
        applied.ids.insert(*object, id);
    }
    for (key, product, price) in &built.prices {
        applied.prices.push(PriceSync {
            key: key.clone(),
            product_id: id_of(product)?,
            price_entry_id: id_of(price)?,
        });
    }
    for (sku, item, price) in &built.items {
        let price_entry_id = match price {
            Link::Id(id) => id.clone(),
            Link::Node(reference) => id_of(reference)?,
        };
        applied.products.items.insert(
            sku.clone(),
            OrderItemSync {
                order_item_id: id_of(item)?,
                price_entry_id,
            },
        );
    }
    for (change, order) in &built.reductions {
        applied
            .products
            .reductions
            .insert(change.clone(), id_of(order)?);
    }
    Ok(applied)
}

/// Upsert nodes refused for writing a field only a create may write.
fn create_only_refusals(responses: &CompositeResponse) -> BTreeSet<String> {
    responses
        .responses
        .iter()
        .filter(|r| {
            r.errors()
                .iter()
                .any(|e| e.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE")
        })
        .map(|r| r.reference_id.clone())
        .collect()
}

impl SalesforceCrm {
    /// A plan that converts a Lead does so once its Contact and Account are written.
    async fn converted(&self, plan: &CrmPlan, applied: &mut CrmApplied) -> Result<(), CrmError> {
        if let PersonPlan::Customer {
            convert_lead: Some(lead),
            ..
        } = &plan.person
        {
            self.convert_lead(lead, &applied.ids).await?;
            applied.ids.insert(CrmObject::Lead, lead.clone());
        }
        Ok(())
    }

    /// A plan that summarizes its activated Order does so once the graph wrote it: one
    /// Connect API call, plus one query when the org answers that the summary exists (an
    /// answer lost on the way), so the ledger learns its id either way. Deferrable work past
    /// the API budget leaves the summary for the order's next sync.
    async fn summarized(
        &self,
        plan: &CrmPlan,
        applied: &mut CrmApplied,
        priority: Priority,
    ) -> Result<(), CrmError> {
        let wanted = plan
            .order
            .as_ref()
            .and_then(|o| o.salesforce_order.as_ref())
            .is_some_and(|o| o.summarize);
        if !wanted {
            return Ok(());
        }
        if priority == Priority::Deferrable && self.client.ensure_budget(priority).is_err() {
            return Ok(());
        }
        let order = applied
            .ids
            .get(&CrmObject::Order)
            .cloned()
            .ok_or_else(|| CrmError::Retryable("no Order id to summarize".into()))?;
        applied.order_summary = Some(self.order_summary(&order).await?);
        Ok(())
    }

    /// Creates the Order's OrderSummary, or finds the one the org already has. The store
    /// runs the order's life cycle (payment, fulfilment, returns), so the summary is
    /// `UNMANAGED`.
    async fn order_summary(&self, order: &CrmId) -> Result<CrmId, CrmError> {
        let exists = |errors: &[ApiError]| errors.iter().any(|e| e.error_code == DUPLICATE);
        let refused = match self
            .client
            .create_order_summary(order.as_str(), OrderLifeCycle::Unmanaged)
            .await
        {
            Ok(OrderSummaryCreated {
                order_summary_id: Some(id),
                success: true,
                ..
            }) => return crm_id(&id),
            Ok(answer) if exists(&answer.errors) => answer.errors,
            Ok(answer) => {
                return Err(CrmError::Permanent(format!(
                    "OrderSummary: {}",
                    describe(&answer.errors)
                )));
            }
            Err(SalesforceError::Api { errors, .. }) if exists(&errors) => errors,
            Err(e) => return Err(crm_error(e)),
        };
        let rows: Vec<Row> = self
            .client
            .query_all(&lookup::order_summary(order.as_str()))
            .await
            .map_err(crm_error)?;
        match rows.into_iter().next() {
            Some(row) => crm_id(&row.id),
            None => Err(CrmError::Permanent(format!(
                "OrderSummary: {}",
                describe(&refused)
            ))),
        }
    }

    /// Converts the Lead into the Contact and Account the graph just wrote, with the Apex
    /// action deployed from `salesforce/` (`Database.convertLead`).
    async fn convert_lead(
        &self,
        lead: &CrmId,
        ids: &BTreeMap<CrmObject, CrmId>,
    ) -> Result<(), CrmError> {
        let input = json!({
            "leadId": lead.as_str(),
            "accountId": ids.get(&CrmObject::Account).map(CrmId::as_str),
            "contactId": ids.get(&CrmObject::Contact).map(CrmId::as_str),
            "convertedStatus": CONVERTED_LEAD_STATUS,
            "doNotCreateOpportunity": true,
        });
        let converted_meanwhile =
            |errors: &[ApiError]| errors.iter().any(|e| e.error_code == CONVERTED);
        match self.client.invoke_apex(LEAD_CONVERT_ACTION, &[input]).await {
            Ok(results) => match results.first() {
                Some(r) if r.is_success || converted_meanwhile(&r.errors) => Ok(()),
                Some(r) => Err(CrmError::Permanent(format!(
                    "Lead conversion: {}",
                    describe(&r.errors)
                ))),
                None => Err(CrmError::Retryable(
                    "the Lead conversion got no answer".into(),
                )),
            },
            // Converted meanwhile by another order of the same person (a guest and a
            // registered customer with one e-mail): the Lead is where it should be.
            Err(SalesforceError::Api { errors, .. }) if converted_meanwhile(&errors) => Ok(()),
            Err(e) => Err(crm_error(e)),
        }
    }
}

/// The node that failed (the others only halted), in Salesforce's words; retryable when
/// the org was busy rather than the data wrong.
fn graph_failure(responses: &CompositeResponse) -> CrmError {
    let failed: Vec<(String, Vec<ApiError>)> = responses
        .responses
        .iter()
        .filter(|r| !r.is_success())
        .map(|r| (r.reference_id.clone(), r.errors()))
        .filter(|(_, errors)| !errors.iter().all(|e| e.error_code == "PROCESSING_HALTED"))
        .collect();
    let retryable = failed
        .iter()
        .flat_map(|(_, errors)| errors)
        .any(ApiError::is_retryable);
    let text = failed
        .iter()
        .map(|(node, errors)| format!("{node}: {}", describe(errors)))
        .collect::<Vec<_>>()
        .join("; ");
    let text = if text.is_empty() {
        "the graph was rolled back".to_owned()
    } else {
        text
    };
    let lead_converted = failed
        .iter()
        .any(|(node, errors)| node == "lead" && errors.iter().any(|e| e.error_code == CONVERTED));
    if lead_converted {
        CrmError::LeadConverted(text)
    } else if retryable {
        CrmError::Retryable(text)
    } else {
        CrmError::Permanent(text)
    }
}

/// Salesforce's answer to a second OrderSummary of one Order.
const DUPLICATE: &str = "DUPLICATE_VALUE";

/// Salesforce's answer to a write to a converted Lead, or to converting one again.
const CONVERTED: &str = "CANNOT_UPDATE_CONVERTED_LEAD";
