// The cycle engine (src/cycle): ops compiled alone and timed on perfsim, behind the analytical model's
// interface; and the fit of the analytical model's efficiencies to it.
#include "cycle/cycle_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "cycle/grid.h"
#include "frontend/llm/llm_builder.h"
#include "spec_test_util.h"

namespace xpusim::cycle {
namespace {

using spec::testing::library_spec;

const spec::ChipSpec& chip(const char* name) {
  return library_spec<spec::ChipSpec>(spec::Kind::chip, name);
}
const spec::ModelSpec& model(const char* name) {
  return library_spec<spec::ModelSpec>(spec::Kind::model, name);
}

TEST(CycleModel, RunsCustomChipsOnly) {
  Expected<CycleModel> gpu = CycleModel::create(chip("h100-sxm"));
  ASSERT_FALSE(gpu.ok());
  EXPECT_NE(gpu.error().to_string().find("is a GPU"), std::string::npos) << gpu.error().to_string();
  EXPECT_TRUE(CycleModel::create(chip("xpu-1")).ok());
}

TEST(CycleModel, AnOpAloneKeepsItsShapesTypesAndCost) {
  Expected<ir::Graph> decode = frontend::build_decode(model("llama3-8b"), 4, 1024, {});
  ASSERT_TRUE(decode.ok());
  for (const ir::Op& op : decode->ops()) {
    const ir::Graph one = single_op_graph(*decode, op);
    ASSERT_EQ(one.ops().size(), 1u);
    const ir::OpCost whole = ir::op_cost(*decode, op), alone = ir::op_cost(one, one.ops().front());
    EXPECT_EQ(whole.flops, alone.flops) << op.name;
    EXPECT_EQ(whole.bytes(), alone.bytes()) << op.name;
    EXPECT_EQ(op_key(*decode, op), op_key(one, one.ops().front())) << op.name;
  }
}

TEST(CycleModel, OpsDifferOnlyByShapeOrType) {
  Expected<ir::Graph> b1 = frontend::build_decode(model("llama3-8b"), 1, 1024, {});
  Expected<ir::Graph> b1_again = frontend::build_decode(model("llama3-8b"), 1, 1024, {});
  Expected<ir::Graph> b2 = frontend::build_decode(model("llama3-8b"), 2, 1024, {});
  ASSERT_TRUE(b1.ok() && b1_again.ok() && b2.ok());
  const ir::Op& qkv1 = b1->ops()[2];
  EXPECT_EQ(op_key(*b1, qkv1), op_key(*b1_again, b1_again->ops()[2]));
  EXPECT_NE(op_key(*b1, qkv1), op_key(*b2, b2->ops()[2]));
}

TEST(CycleModel, SimulatesEachDistinctOpOnce) {
  Expected<CycleModel> engine = CycleModel::create(chip("xpu-1"));
  ASSERT_TRUE(engine.ok());
  Expected<ir::Graph> decode = frontend::build_decode(model("llama3-8b"), 1, 512, {});
  ASSERT_TRUE(decode.ok());
  std::set<std::string> distinct;
  for (const ir::Op& op : decode->ops())
    if (!ir::is_collective(op.kind) && op.kind != ir::OpKind::view) distinct.insert(op_key(*decode, op));
  ASSERT_TRUE(perfmodel::evaluate(*engine, *decode, {}).ok());
  const std::size_t first = engine->simulated().size();
  EXPECT_EQ(first, distinct.size());
  ASSERT_TRUE(perfmodel::evaluate(*engine, *decode, {}).ok());
  EXPECT_EQ(engine->simulated().size(), first);
}

// The fit is checked on rows made from known parameters: it must find them again.
TEST(CycleFit, RecoversTheParametersRowsWereMadeWith) {
  std::vector<GridRow> rows;
  const double matmul = 0.8, attention = 0.5, vector = 0.3, hbm = 0.7, overhead_s = 0.4e-6;
  for (int i = 1; i <= 12; ++i) {
    GridRow r;
    r.category = i % 3 == 0 ? "matmul" : i % 3 == 1 ? "attention" : "vector";
    // Alternately compute- and memory-heavy, from 1 us to 10 ms.
    const double scale = std::pow(10.0, i / 3.0) * 1e-6;
    r.ideal_compute_s = i % 2 ? scale : scale / 10;
    r.ideal_memory_s = i % 2 ? scale / 10 : scale;
    const double efficiency = r.category == "matmul" ? matmul : r.category == "attention" ? matmul * attention : vector;
    r.cycle_s = overhead_s + std::max(r.ideal_compute_s / efficiency, r.ideal_memory_s / hbm);
    r.analytical_s = r.ideal_compute_s + r.ideal_memory_s;
    r.error_pct = (r.analytical_s - r.cycle_s) / r.cycle_s * 100;
    rows.push_back(r);
  }
  const Fit fit = fit_efficiency(rows);
  EXPECT_NEAR(fit.matmul, matmul, 0.011);
  EXPECT_NEAR(fit.attention, attention, 0.011);
  EXPECT_NEAR(fit.vector, vector, 0.011);
  EXPECT_NEAR(fit.hbm, hbm, 0.011);
  EXPECT_NEAR(fit.overhead_us, 0.4, 0.011);
  EXPECT_LT(fit.after.max_abs_error_pct, 1.5);
}

}  // namespace
}  // namespace xpusim::cycle
